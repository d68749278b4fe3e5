// Page frame: skip link, navigation, main landmark. On navigation the focus moves to the new
// page's heading so screen-reader users hear where they are.
import { type ReactNode, useEffect, useRef } from "react";
import type { Route } from "../router";
import { useSession } from "../session";

const LINKS = [
  { href: "/search", label: "Search", admin: false },
  { href: "/collections", label: "Collections", admin: false },
  { href: "/users", label: "Users", admin: true },
  { href: "/about", label: "About", admin: false },
];

function isCurrent(route: Route, href: string): boolean {
  const first = route.segments[0] ?? "search";
  return href === `/${first}` || (first === "jobs" && href === "/collections");
}

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const { user, signOut } = useSession();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [route.path]);

  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        main.current?.focus();
      }}>
        Skip to content
      </a>
      <header className="site-header">
        <a className="brand" href="#/search">
          Semantik
        </a>
        <nav aria-label="Main">
          <ul>
            {LINKS.filter((l) => !l.admin || user.is_admin).map((l) => (
              <li key={l.href}>
                <a href={`#${l.href}`} aria-current={isCurrent(route, l.href) ? "page" : undefined}>
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="who" title="Signed in as">
            {user.username}
          </span>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
