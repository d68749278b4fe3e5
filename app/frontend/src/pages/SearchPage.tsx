// Search: query box and filters, one result per document (title, path, match strength, the
// answer passage, "n more passages"), "More results", and a preview panel showing the document
// as clean text scrolled to the answer. Everything lives in the address (#/search?q=…&c=…&doc=…)
// so a search, and a document with its passage, can be bookmarked or shared.
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import type {
  DocumentResult,
  Passage,
  Preview,
  SearchMode,
  SearchRequest,
  SearchResponse,
} from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { saveBlob } from "../documents";
import { formatDate, plural } from "../format";
import { highlight } from "../highlight";
import { useLoad } from "../hooks";
import { type Route, navigate } from "../router";
import { useSession } from "../session";

// Documents per page: 10, or the address's n (1-50).
function pageSize(value: string | null): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 50 ? n : 10;
}

const MODES: { value: SearchMode | ""; label: string }[] = [
  { value: "", label: "Server default" },
  { value: "hybrid", label: "Meaning and words" },
  { value: "dense", label: "Meaning only" },
  { value: "keyword", label: "Exact words only" },
];

const STRENGTH: Record<DocumentResult["strength"], string> = {
  strong: "Strong match",
  fair: "Fair match",
  weak: "Weak match",
};

const MATCHED: Record<DocumentResult["matched"], string> = {
  meaning: "on meaning",
  words: "on the words",
  both: "on meaning and words",
};

function parseMode(value: string | null): SearchMode | "" {
  return MODES.some((m) => m.value === value) ? (value as SearchMode | "") : "";
}

// Collection names and extensions cannot contain commas, so a comma list is unambiguous.
function parseNames(value: string | null): string[] {
  return (value ?? "").split(",").filter(Boolean);
}

/** Marks the query's words, and wraps the answer sentence(s) in <strong class="answer">. */
export function PassageText({ passage }: { passage: Passage }) {
  const marked = (text: string, from: number): ReactNode[] =>
    highlight(
      text,
      passage.highlights.map(([s, e]) => [s - from, e - from] as const),
    ).map((s, i) => (s.match ? <mark key={`${from}-${i}`}>{s.text}</mark> : s.text));
  const text = passage.snippet;
  const answer = passage.answer;
  if (!answer || answer[1] <= answer[0]) return <p className="snippet">{marked(text, 0)}</p>;
  const [a, b] = [Math.max(0, answer[0]), Math.min(text.length, answer[1])];
  return (
    <p className="snippet">
      {marked(text.slice(0, a), 0)}
      <strong className="answer">{marked(text.slice(a, b), a)}</strong>
      {marked(text.slice(b), b)}
    </p>
  );
}

function Result({
  result,
  rank,
  onPreview,
}: {
  result: DocumentResult;
  rank: number;
  onPreview: (r: DocumentResult) => void;
}) {
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);
  const more = result.more_passages.length;

  async function download() {
    setError(null);
    try {
      const { blob, filename } = await api.document(result.collection, result.path);
      saveBlob(blob, filename ?? result.path.split("/").pop() ?? "document");
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <li className="card result">
      <article aria-labelledby={`hit-${rank}`}>
        <h3 id={`hit-${rank}`} className="result-title">
          <span className="visually-hidden">Result {rank}: </span>
          <button type="button" className="link title-link" onClick={() => onPreview(result)}>
            {result.title}
          </button>
        </h3>
        <p className="result-meta">
          <code className="path">{result.path}</code>
        </p>
        <p className="result-meta">
          <span className={`badge strength strength-${result.strength}`}>
            {STRENGTH[result.strength]}
          </span>
          <span className="matched">{MATCHED[result.matched]}</span>
          <span className="badge">{result.collection}</span>
        </p>
        <PassageText passage={result.passage} />
        {more > 0 && (
          <details className="more-passages">
            <summary>{plural(more, "more passage")}</summary>
            <ol>
              {result.more_passages.map((p) => (
                <li key={p.chunk_index}>
                  <PassageText passage={p} />
                </li>
              ))}
            </ol>
          </details>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" onClick={() => onPreview(result)}>
            Preview<span className="visually-hidden"> {result.title}</span>
          </button>
          <button type="button" className="secondary" onClick={() => void download()}>
            Download<span className="visually-hidden"> {result.title}</span>
          </button>
        </div>
      </article>
    </li>
  );
}

/** The document as clean text, the answer highlighted and scrolled into view. */
function PreviewPanel({
  collection,
  documentId,
  at,
  onClose,
}: {
  collection: string;
  documentId: string;
  at: [number, number] | null;
  onClose: () => void;
}) {
  const { api } = useSession();
  const [doc, setDoc] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const answerRef = useRef<HTMLElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let alive = true;
    setDoc(null);
    setError(null);
    api
      .preview(collection, documentId)
      .then((d) => alive && setDoc(d))
      .catch((err) => alive && setError((err as Error).message));
    return () => {
      alive = false;
    };
  }, [api, collection, documentId]);

  useEffect(() => {
    closeRef.current?.focus();
  }, []);

  useEffect(() => {
    if (doc) answerRef.current?.scrollIntoView({ block: "center" });
  }, [doc]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const text = doc?.text ?? "";
  const span = at && at[0] >= 0 && at[1] > at[0] && at[1] <= text.length ? at : null;
  return (
    <aside className="preview" role="dialog" aria-modal="false" aria-labelledby="preview-title">
      <header className="preview-head">
        <h2 id="preview-title">{doc?.title ?? "Preview"}</h2>
        <button type="button" className="secondary" ref={closeRef} onClick={onClose}>
          Close<span className="visually-hidden"> preview</span>
        </button>
      </header>
      {doc && (
        <p className="result-meta">
          <code className="path">{doc.path}</code>
          <a className="share" href={window.location.href}>
            Link to this passage
          </a>
        </p>
      )}
      <ErrorMessage>{error}</ErrorMessage>
      {!doc && !error && <p className="muted">Loading…</p>}
      {doc && (
        <div className="preview-text" tabIndex={0}>
          {span ? (
            <>
              {text.slice(0, span[0])}
              <mark className="answer" ref={answerRef}>
                {text.slice(span[0], span[1])}
              </mark>
              {text.slice(span[1])}
            </>
          ) : (
            text
          )}
        </div>
      )}
    </aside>
  );
}

function parseAt(value: string | null): [number, number] | null {
  const m = /^(\d+)-(\d+)$/.exec(value ?? "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function SearchPage({ route }: { route: Route }) {
  const { api } = useSession();
  const collections = useLoad(() => api.listCollections(), [api]);
  const urlQuery = route.query.get("q") ?? "";
  const urlNames = route.query.get("c") ?? "";
  const urlMode = parseMode(route.query.get("m"));
  const urlTypes = route.query.get("t") ?? "";
  const urlFolder = route.query.get("f") ?? "";
  const urlSort = route.query.get("s") === "date" ? "date" : "relevance";
  const urlDoc = route.query.get("doc") ?? "";
  const urlAt = route.query.get("at");
  const urlPage = pageSize(route.query.get("n"));
  const [query, setQuery] = useState(urlQuery);
  const [mode, setMode] = useState<SearchMode | "">(urlMode);
  const [types, setTypes] = useState(urlTypes);
  const [folder, setFolder] = useState(urlFolder);
  const [sort, setSort] = useState<"relevance" | "date">(urlSort);
  const [selected, setSelected] = useState<string[]>(() => parseNames(urlNames));
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [results, setResults] = useState<DocumentResult[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const resultsRef = useRef<HTMLElement>(null);
  // Bumped when Search is pressed for the search already shown: it runs again.
  const [runs, setRuns] = useState(0);

  function request(offset: number): SearchRequest {
    const body: SearchRequest = { query: urlQuery, collections: parseNames(urlNames) };
    if (urlPage !== 10) body.k = urlPage;
    if (urlMode) body.mode = urlMode;
    if (offset) body.offset = offset;
    if (urlTypes) body.file_types = parseNames(urlTypes);
    if (urlFolder) body.folder = urlFolder;
    if (urlSort === "date") body.sort = "date";
    return body;
  }

  // Run the search the address names (on load, on back/forward, after submit).
  // biome-ignore lint/correctness/useExhaustiveDependencies: request() reads these url values
  useEffect(() => {
    setQuery(urlQuery);
    setSelected(parseNames(urlNames));
    setMode(urlMode);
    setTypes(urlTypes);
    setFolder(urlFolder);
    setSort(urlSort);
    if (!urlQuery.trim()) {
      setResponse(null);
      setResults([]);
      return;
    }
    let alive = true;
    setBusy(true);
    setError(null);
    api
      .search(request(0))
      .then((r) => {
        if (!alive) return;
        setResponse(r);
        setResults(r.results);
        // On a phone the form fills the screen: bring the first result into view.
        if (window.matchMedia?.("(max-width: 40rem)").matches) {
          window.requestAnimationFrame(() => resultsRef.current?.scrollIntoView({ block: "start" }));
        }
      })
      .catch((err) => alive && setError((err as Error).message))
      .finally(() => alive && setBusy(false));
    return () => {
      alive = false;
    };
  }, [api, urlQuery, urlNames, urlMode, urlTypes, urlFolder, urlSort, urlPage, runs]);

  async function moreResults() {
    if (response?.next_offset == null) return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.search(request(response.next_offset));
      setResponse(next);
      setResults((prev) => [...prev, ...next.results]);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  function params(): URLSearchParams {
    const p = new URLSearchParams();
    p.set("q", query.trim());
    if (selected.length) p.set("c", selected.join(","));
    if (mode) p.set("m", mode);
    const t = types
      .split(/[\s,]+/)
      .map((x) => x.replace(/^\./, ""))
      .filter(Boolean);
    if (t.length) p.set("t", t.join(","));
    if (folder.trim()) p.set("f", folder.trim());
    if (sort === "date") p.set("s", "date");
    if (urlPage !== 10) p.set("n", String(urlPage));
    return p;
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const target = `/search?${params().toString()}`;
    if (window.location.hash === `#${target}`) setRuns((n) => n + 1);
    else navigate(target);
  }

  function openPreview(r: DocumentResult) {
    const p = new URLSearchParams(route.query);
    p.set("doc", `${r.collection}:${r.document_id}`);
    const { answer_start: a, answer_end: b } = r.passage;
    if (a != null && b != null) p.set("at", `${a}-${b}`);
    else p.delete("at");
    navigate(`/search?${p.toString()}`, { replace: true });
  }

  function closePreview() {
    const p = new URLSearchParams(route.query);
    p.delete("doc");
    p.delete("at");
    navigate(`/search?${p.toString()}`, { replace: true });
  }

  function toggle(name: string, on: boolean) {
    setSelected((prev) => (on ? [...prev, name] : prev.filter((x) => x !== name)));
  }

  const available = collections.data ?? [];
  const [docCollection, docId] = urlDoc.includes(":") ? urlDoc.split(":", 2) : ["", ""];
  return (
    <div className={docId ? "search-page with-preview" : "search-page"}>
      <div className="search-main">
        <PageHeading title="Search" />
        <form role="search" className="card search-form" onSubmit={submit}>
          <label htmlFor="query">Search your documents</label>
          <div className="search-row">
            <input
              id="query"
              type="search"
              required
              maxLength={2000}
              placeholder="What are you looking for?"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
            <button type="submit" disabled={busy}>
              {busy ? "Searching…" : "Search"}
            </button>
          </div>
          <div className="search-options">
            <div className="options-grid">
              <div className="field mode">
                <label htmlFor="search-mode">Match</label>
                <select
                  id="search-mode"
                  value={mode}
                  onChange={(e) => setMode(parseMode(e.target.value))}
                >
                  {MODES.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="search-sort">Order</label>
                <select
                  id="search-sort"
                  value={sort}
                  onChange={(e) => setSort(e.target.value === "date" ? "date" : "relevance")}
                >
                  <option value="relevance">Best match first</option>
                  <option value="date">Newest first</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="search-types">File types</label>
                <input
                  id="search-types"
                  placeholder="pdf, md (empty: all)"
                  value={types}
                  onChange={(e) => setTypes(e.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="search-folder">Folder</label>
                <input
                  id="search-folder"
                  placeholder="reports/2024 (empty: all)"
                  value={folder}
                  onChange={(e) => setFolder(e.target.value)}
                />
              </div>
            </div>
            {available.length > 0 && (
              <fieldset className="filter">
                <legend>Collections (none ticked: all)</legend>
                {available.map((c) => (
                  <label key={c.name} className="check">
                    <input
                      type="checkbox"
                      checked={selected.includes(c.name)}
                      onChange={(e) => toggle(c.name, e.target.checked)}
                    />
                    {c.name}
                  </label>
                ))}
              </fieldset>
            )}
          </div>
          {collections.data && available.length === 0 && (
            <Notice>
              There are no collections yet. <a href="#/collections">Create one</a> to search it.
            </Notice>
          )}
        </form>
        <ErrorMessage>{error}</ErrorMessage>
        <section aria-labelledby="results-title" aria-busy={busy} ref={resultsRef}>
          <h2 id="results-title" className={response ? undefined : "visually-hidden"}>
            Results
          </h2>
          {response && (
            <p role="status" className="muted">
              {response.no_good_match
                ? `No good match for “${response.query}”. Try other words, or fewer filters.`
                : `${plural(response.total, "document")} match, in ${Math.round(response.took_ms)} ms`}
            </p>
          )}
          {response && response.indexing.length > 0 && (
            <Notice>
              Still indexing {response.indexing.join(", ")}: results may be incomplete.
            </Notice>
          )}
          <ol className="results">
            {results.map((r, i) => (
              <Result
                key={`${r.collection}/${r.document_id}`}
                result={r}
                rank={i + 1}
                onPreview={openPreview}
              />
            ))}
          </ol>
          {response?.next_offset != null && (
            <button type="button" className="more-results" disabled={busy} onClick={() => void moreResults()}>
              {busy ? "Loading…" : "More results"}
            </button>
          )}
          {sort === "date" && results.length > 0 && (
            <p className="muted">Newest first; last change {formatDate(results[0].mtime)}.</p>
          )}
        </section>
      </div>
      {docId && (
        <PreviewPanel
          key={urlDoc}
          collection={docCollection}
          documentId={docId}
          at={parseAt(urlAt)}
          onClose={closePreview}
        />
      )}
    </div>
  );
}
