// Choose a folder under the documents root by walking down from it. The folder you open is the
// one chosen; the breadcrumb goes back up.
import { useEffect, useState } from "react";
import { useSession } from "../session";
import { ErrorMessage } from "./Alert";

const ROOT = ".";

// Drawn, not an emoji: machines without an emoji font would show an empty box.
function FolderIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M2 5.5A1.5 1.5 0 0 1 3.5 4h5.3l2 2.5h9.7A1.5 1.5 0 0 1 22 8v10.5a1.5 1.5 0 0 1-1.5 1.5h-17A1.5 1.5 0 0 1 2 18.5z" />
    </svg>
  );
}

function crumbs(path: string): { label: string; path: string }[] {
  const parts = path && path !== ROOT ? path.split("/") : [];
  return [
    { label: "Documents root", path: ROOT },
    ...parts.map((label, i) => ({ label, path: parts.slice(0, i + 1).join("/") })),
  ];
}

export function FolderPicker({
  value,
  onChange,
}: {
  value: string | null;
  onChange: (path: string) => void;
}) {
  const { api } = useSession();
  const [browse, setBrowse] = useState(ROOT);
  const [dirs, setDirs] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    setDirs(null);
    api
      .listSources(browse === ROOT ? "" : browse)
      .then((r) => {
        if (!alive) return;
        setDirs(r.directories);
        setError(null);
      })
      .catch((err) => alive && setError(`Folders could not be listed: ${(err as Error).message}`));
    return () => {
      alive = false;
    };
  }, [api, browse]);

  const open = (path: string) => {
    setBrowse(path);
    onChange(path);
  };

  return (
    <fieldset className="folder-picker">
      <legend>Folder</legend>
      <p className="chosen" aria-live="polite">
        {value === null ? (
          <span className="muted">No folder chosen yet: open one below.</span>
        ) : (
          <>
            Chosen: <code>{value === ROOT ? "the whole documents root" : value}</code>
          </>
        )}
      </p>
      <nav aria-label="Folder path">
        <ol className="crumbs">
          {crumbs(browse).map((c, i, all) => (
            <li key={c.path}>
              <button
                type="button"
                className="link"
                aria-current={i === all.length - 1 && value === c.path ? "location" : undefined}
                onClick={() => open(c.path)}
              >
                {c.label}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <ErrorMessage>{error}</ErrorMessage>
      {dirs === null && !error && <p role="status">Loading folders…</p>}
      {dirs && dirs.length === 0 && <p className="muted">No folders inside.</p>}
      {dirs && dirs.length > 0 && (
        <ul className="folders" aria-label="Folders inside">
          {dirs.map((d) => (
            <li key={d}>
              <button type="button" className="folder" onClick={() => open(d)}>
                <FolderIcon />
                {d.split("/").pop()}
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
