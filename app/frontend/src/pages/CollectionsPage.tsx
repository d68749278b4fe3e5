// Collections: create one from a folder under the documents root, see status, re-index, delete.
import { type FormEvent, useState } from "react";
import type { Collection } from "../api/types";
import { FINISHED } from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { statusText } from "../components/JobProgress";
import { PageHeading } from "../components/PageHeading";
import { useInterval, useLoad } from "../hooks";
import { navigate } from "../router";
import { useSession } from "../session";

const NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}";

function CreateCollection({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const sources = useLoad(() => api.listSources(), [api]);
  const [name, setName] = useState("");
  const [source, setSource] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const collection = await api.createCollection({ name: name.trim(), source_path: source });
      const job = collection.last_job && !FINISHED.has(collection.last_job.status)
        ? collection.last_job
        : await api.indexCollection(collection.id);
      onCreated();
      navigate(`/jobs/${job.id}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card create-form" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">New collection</h2>
      <div className="field-row">
        <div className="field">
          <label htmlFor="collection-name">Name</label>
          <input
            id="collection-name"
            required
            pattern={NAME_PATTERN}
            title="Letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64)"
            aria-describedby="collection-name-help"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <small id="collection-name-help" className="muted">
            Letters, digits, “.”, “_” and “-”.
          </small>
        </div>
        <div className="field">
          <label htmlFor="collection-source">Folder</label>
          <select
            id="collection-source"
            required
            value={source}
            onChange={(e) => setSource(e.target.value)}
            aria-describedby="collection-source-help"
          >
            <option value="">
              {sources.loading ? "Loading folders…" : "Choose a folder"}
            </option>
            {(sources.data ?? []).map((s) => (
              <option key={s.path} value={s.path}>
                {s.path || "/"}
                {s.files !== undefined ? ` (${s.files} files)` : ""}
              </option>
            ))}
          </select>
          <small id="collection-source-help" className="muted">
            Folders inside the documents root.
          </small>
        </div>
      </div>
      <ErrorMessage>{sources.error && `Folders could not be listed: ${sources.error}`}</ErrorMessage>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create and index"}
      </button>
    </form>
  );
}

function CollectionRow({ collection, onChanged }: { collection: Collection; onChanged: () => void }) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const job = collection.last_job;
  const active = job && !FINISHED.has(job.status);

  async function reindex() {
    setBusy(true);
    setError(null);
    try {
      const started = await api.indexCollection(collection.id);
      navigate(`/jobs/${started.id}`);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteCollection(collection.id);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <li className="card collection" aria-labelledby={`collection-${collection.id}`}>
      <div className="collection-head">
        <h3 id={`collection-${collection.id}`}>{collection.name}</h3>
        <span className={`badge status-${job?.status ?? collection.status}`}>
          {job ? statusText(job.status) : collection.status}
        </span>
      </div>
      <dl className="details compact">
        <div>
          <dt>Folder</dt>
          <dd>
            <code>{collection.source_path || "/"}</code>
          </dd>
        </div>
        <div>
          <dt>Documents</dt>
          <dd>{collection.document_count}</dd>
        </div>
        <div>
          <dt>Chunks</dt>
          <dd>{collection.chunk_count}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{collection.model}</dd>
        </div>
      </dl>
      {job && (
        <p className="muted">
          <a href={`#/jobs/${job.id}`}>
            {active ? "Watch indexing" : "Last indexing job"}
            <span className="visually-hidden"> of {collection.name}</span>
          </a>
          {job.failed_files > 0 && ` — ${job.failed_files} file(s) failed`}
        </p>
      )}
      <ErrorMessage>{error}</ErrorMessage>
      <div className="actions">
        {confirming ? (
          <>
            <span role="alert">Delete “{collection.name}” and its index?</span>
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              Yes, delete
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <>
            <button type="button" disabled={busy || !!active} onClick={() => void reindex()}>
              Re-index<span className="visually-hidden"> {collection.name}</span>
            </button>
            <button
              type="button"
              className="secondary danger-text"
              disabled={busy}
              onClick={() => setConfirming(true)}
            >
              Delete<span className="visually-hidden"> {collection.name}</span>
            </button>
          </>
        )}
      </div>
    </li>
  );
}

export function CollectionsPage() {
  const { api } = useSession();
  const collections = useLoad(() => api.listCollections(), [api]);
  const anyActive = (collections.data ?? []).some(
    (c) => c.last_job && !FINISHED.has(c.last_job.status),
  );
  // Keep statuses fresh while something is indexing.
  useInterval(() => void collections.reload(), 3000, anyActive);

  return (
    <>
      <PageHeading title="Collections" />
      <CreateCollection onCreated={() => void collections.reload()} />
      <section aria-labelledby="list-title">
        <h2 id="list-title">Your collections</h2>
        <ErrorMessage>{collections.error}</ErrorMessage>
        {collections.loading && <p role="status">Loading…</p>}
        {collections.data && collections.data.length === 0 && (
          <Notice>No collections yet. Create one above from a folder of documents.</Notice>
        )}
        <ul className="collection-list">
          {(collections.data ?? []).map((c) => (
            <CollectionRow key={c.id} collection={c} onChanged={() => void collections.reload()} />
          ))}
        </ul>
      </section>
    </>
  );
}
