// Top level: who is signed in, which page the hash names, and the shared layout.
import { useCallback, useEffect, useState } from "react";
import type { Api } from "./api/endpoints";
import type { User } from "./api/types";
import { Layout } from "./components/Layout";
import { AboutPage } from "./pages/AboutPage";
import { CollectionsPage } from "./pages/CollectionsPage";
import { JobPage } from "./pages/JobPage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SearchPage } from "./pages/SearchPage";
import { UsersPage } from "./pages/UsersPage";
import { type Route, navigate, useRoute } from "./router";
import { type Session, SessionContext } from "./session";

type AuthState = { kind: "checking" } | { kind: "anonymous"; notice?: string } | { kind: "in"; user: User };

function page(route: Route, user: User) {
  const [first, second] = route.segments;
  switch (first) {
    case undefined:
    case "search":
      return <SearchPage route={route} />;
    case "collections":
      return <CollectionsPage />;
    case "jobs":
      return second && /^\d+$/.test(second) ? <JobPage jobId={Number(second)} /> : <NotFoundPage />;
    case "users":
      return user.is_admin ? <UsersPage /> : <NotFoundPage message="Only administrators manage users." />;
    case "about":
      return <AboutPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App({ api }: { api: Api }) {
  const route = useRoute();
  const [auth, setAuth] = useState<AuthState>(() =>
    api.client.loggedIn ? { kind: "checking" } : { kind: "anonymous" },
  );

  useEffect(
    () =>
      api.client.onSessionEnd(() =>
        setAuth({ kind: "anonymous", notice: "Your session has ended. Please sign in again." }),
      ),
    [api],
  );

  useEffect(() => {
    if (auth.kind !== "checking") return;
    let alive = true;
    api
      .me()
      .then((user) => alive && setAuth({ kind: "in", user }))
      .catch(() => {
        if (!alive) return;
        api.client.setTokens(null);
        setAuth({ kind: "anonymous" });
      });
    return () => {
      alive = false;
    };
  }, [api, auth.kind]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setAuth({ kind: "anonymous", notice: "You have signed out." });
    }
  }, [api]);

  if (auth.kind === "checking") {
    return (
      <p className="boot" role="status">
        Loading…
      </p>
    );
  }
  if (auth.kind === "anonymous") {
    return (
      <LoginPage
        api={api}
        notice={auth.notice}
        onSignedIn={(user) => {
          setAuth({ kind: "in", user });
          if (route.path === "/login") navigate("/search", { replace: true });
        }}
      />
    );
  }
  const session: Session = { api, user: auth.user, signOut };
  return (
    <SessionContext.Provider value={session}>
      <Layout route={route}>{page(route, auth.user)}</Layout>
    </SessionContext.Provider>
  );
}
