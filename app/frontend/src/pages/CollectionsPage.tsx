// Collections: create one from a folder under the documents root, see status, re-index, delete.
// Creating, indexing and deleting are for administrators; everyone sees the list.
import { type FormEvent, useState } from "react";
import type { Collection } from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { FolderPicker } from "../components/FolderPicker";
import { PageHeading } from "../components/PageHeading";
import { formatDate } from "../format";
import { useAction, useInterval, useLoad } from "../hooks";
import { navigate } from "../router";
import { useSession } from "../session";

const NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}";

function CreateCollection({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [source, setSource] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (source === null) {
      setError("Choose the folder to index.");
      return;
    }
    void run(async () => {
      const created = await api.createCollection({
        name: name.trim(),
        source,
        description: description.trim(),
        index: true,
      });
      onCreated();
      if (created.active_job_id !== null) navigate(`/jobs/${created.active_job_id}`);
    });
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
            autoCapitalize="none"
            spellCheck={false}
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
          <label htmlFor="collection-description">Description (optional)</label>
          <input
            id="collection-description"
            maxLength={2000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
      </div>
      <FolderPicker value={source} onChange={setSource} />
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create and index"}
      </button>
    </form>
  );
}

function CollectionItem({ collection, onChanged }: { collection: Collection; onChanged: () => void }) {
  const { api, user } = useSession();
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run: runAction } = useAction();
  const active = collection.active_job_id !== null;
  const headingId = `collection-${collection.name}`;

  async function run(action: () => Promise<void>) {
    if (!(await runAction(action))) setConfirming(false);
  }

  const state = active
    ? { text: "Indexing", cls: "status-running" }
    : collection.last_indexed_at === null
      ? { text: "Not indexed", cls: "status-queued" }
      : collection.errors > 0
        ? { text: "Indexed with errors", cls: "status-failed" }
        : { text: "Ready", cls: "status-succeeded" };

  return (
    <li className="card collection" aria-labelledby={headingId}>
      <div className="collection-head">
        <h3 id={headingId}>{collection.name}</h3>
        <span className={`badge ${state.cls}`}>{state.text}</span>
      </div>
      {collection.description && <p className="muted">{collection.description}</p>}
      <dl className="details compact">
        <div>
          <dt>Folder</dt>
          <dd>
            <code>{collection.source || "(documents root)"}</code>
          </dd>
        </div>
        <div>
          <dt>Files</dt>
          <dd>
            {collection.files}
            {collection.errors > 0 && ` (${collection.errors} failed)`}
          </dd>
        </div>
        <div>
          <dt>Chunks</dt>
          <dd>{collection.chunks}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>
            {collection.model} ({collection.dimension} dimensions)
          </dd>
        </div>
        <div>
          <dt>Last indexed</dt>
          <dd>{formatDate(collection.last_indexed_at)}</dd>
        </div>
      </dl>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="actions">
        {active && (
          <a className="button" href={`#/jobs/${collection.active_job_id}`}>
            Watch progress<span className="visually-hidden"> of {collection.name}</span>
          </a>
        )}
        {!active && collection.last_indexed_at !== null && (
          <a className="button secondary" href={`#/search?c=${encodeURIComponent(collection.name)}`}>
            Search<span className="visually-hidden"> {collection.name}</span>
          </a>
        )}
        {user.is_admin &&
          (confirming ? (
            <>
              <span role="alert">Delete “{collection.name}” and its index? The documents stay.</span>
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    await api.deleteCollection(collection.name);
                    onChanged();
                  })
                }
              >
                Yes, delete
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                className="secondary"
                disabled={busy || active}
                onClick={() =>
                  void run(async () => {
                    const job = await api.indexCollection(collection.name);
                    navigate(`/jobs/${job.id}`);
                  })
                }
              >
                Re-index<span className="visually-hidden"> {collection.name}</span>
              </button>
              <button
                type="button"
                className="secondary danger-text"
                disabled={busy || active}
                onClick={() => setConfirming(true)}
              >
                Delete<span className="visually-hidden"> {collection.name}</span>
              </button>
            </>
          ))}
      </div>
    </li>
  );
}

export function CollectionsPage() {
  const { api, user } = useSession();
  const collections = useLoad(() => api.listCollections(), [api]);
  const anyActive = (collections.data ?? []).some((c) => c.active_job_id !== null);
  // Keep the states fresh while something is indexing.
  useInterval(() => void collections.reload(), 3000, anyActive);

  return (
    <>
      <PageHeading title="Collections" />
      {user.is_admin && <CreateCollection onCreated={() => void collections.reload()} />}
      <section aria-labelledby="list-title">
        <h2 id="list-title">All collections</h2>
        <ErrorMessage>{collections.error}</ErrorMessage>
        {collections.loading && <p role="status">Loading…</p>}
        {collections.data && collections.data.length === 0 && (
          <Notice>
            No collections yet.
            {user.is_admin ? " Create one above from a folder of documents." : " Ask an administrator to create one."}
          </Notice>
        )}
        <ul className="collection-list">
          {(collections.data ?? []).map((c) => (
            <CollectionItem key={c.name} collection={c} onChanged={() => void collections.reload()} />
          ))}
        </ul>
      </section>
    </>
  );
}
