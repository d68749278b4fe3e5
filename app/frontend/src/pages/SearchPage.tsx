// Search: query box, collection filter, ranked results with highlighted snippets. The query
// lives in the address (#/search?q=…&c=1,2) so a search can be bookmarked or shared.
import { type FormEvent, useEffect, useState } from "react";
import type { SearchHit, SearchMode, SearchResponse } from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { formatScore, plural } from "../format";
import { inlineType, saveBlob } from "../documents";
import { highlight } from "../highlight";
import { useLoad } from "../hooks";
import { type Route, navigate } from "../router";
import { useSession } from "../session";

const MODES: { value: SearchMode | ""; label: string }[] = [
  { value: "", label: "Server default" },
  { value: "hybrid", label: "Meaning and words" },
  { value: "dense", label: "Meaning only" },
  { value: "keyword", label: "Exact words only" },
];

function parseMode(value: string | null): SearchMode | "" {
  return MODES.some((m) => m.value === value) ? (value as SearchMode | "") : "";
}

// Collection names cannot contain commas (NAME_PATTERN), so a comma list is unambiguous.
function parseNames(value: string | null): string[] {
  return (value ?? "").split(",").filter(Boolean);
}

function Snippet({ hit }: { hit: SearchHit }) {
  return (
    <p className="snippet">
      {highlight(hit.snippet, hit.highlights ?? []).map((s, i) =>
        s.match ? <mark key={i}>{s.text}</mark> : s.text,
      )}
    </p>
  );
}

function Result({ hit, rank }: { hit: SearchHit; rank: number }) {
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);

  async function fetchDocument(mode: "open" | "download") {
    setError(null);
    // Open the tab inside the click, so popup blockers allow it; fill it once loaded.
    const tab = mode === "open" ? window.open("", "_blank") : null;
    try {
      const { blob, filename } = await api.document(hit.collection, hit.path);
      const name = filename ?? hit.path.split("/").pop() ?? "document";
      const type = tab ? inlineType(blob.type) : null;
      if (tab && type) {
        const url = URL.createObjectURL(new Blob([blob], { type }));
        tab.location.href = url;
        window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
      } else {
        // Downloads, and documents a browser tab cannot show safely (see documents.ts).
        tab?.close();
        saveBlob(blob, name);
      }
    } catch (err) {
      tab?.close();
      setError((err as Error).message);
    }
  }

  const name = hit.path.split("/").pop() || hit.path;
  return (
    <li className="card result">
      <article aria-labelledby={`hit-${rank}`}>
        <h3 id={`hit-${rank}`} className="result-title">
          <span className="visually-hidden">Result {rank}: </span>
          {name}
        </h3>
        <p className="result-meta">
          <code className="path">{hit.path}</code>
          <span className="badge">{hit.collection}</span>
          <span className="score" title="Similarity score">
            score {formatScore(hit.score)}
          </span>
        </p>
        <Snippet hit={hit} />
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" onClick={() => void fetchDocument("open")}>
            Open<span className="visually-hidden"> {name}</span>
          </button>
          <button type="button" className="secondary" onClick={() => void fetchDocument("download")}>
            Download<span className="visually-hidden"> {name}</span>
          </button>
        </div>
      </article>
    </li>
  );
}

export function SearchPage({ route }: { route: Route }) {
  const { api } = useSession();
  const collections = useLoad(() => api.listCollections(), [api]);
  const urlQuery = route.query.get("q") ?? "";
  const urlNames = route.query.get("c") ?? "";
  const urlMode = parseMode(route.query.get("m"));
  const [query, setQuery] = useState(urlQuery);
  const [mode, setMode] = useState<SearchMode | "">(urlMode);
  const [selected, setSelected] = useState<string[]>(() => parseNames(urlNames));
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Run the search the address names (on load, on back/forward, after submit).
  useEffect(() => {
    setQuery(urlQuery);
    setSelected(parseNames(urlNames));
    setMode(urlMode);
    if (!urlQuery.trim()) {
      setResponse(null);
      return;
    }
    let alive = true;
    setBusy(true);
    setError(null);
    api
      .search({ query: urlQuery, collections: parseNames(urlNames), mode: urlMode || undefined })
      .then((r) => alive && setResponse(r))
      .catch((err) => alive && setError((err as Error).message))
      .finally(() => alive && setBusy(false));
    return () => {
      alive = false;
    };
  }, [api, urlQuery, urlNames, urlMode]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const params = new URLSearchParams();
    params.set("q", query.trim());
    if (selected.length) params.set("c", selected.join(","));
    if (mode) params.set("m", mode);
    navigate(`/search?${params.toString()}`);
  }

  function toggle(name: string, on: boolean) {
    setSelected((prev) => (on ? [...prev, name] : prev.filter((x) => x !== name)));
  }

  const available = collections.data ?? [];
  return (
    <>
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
        <div className="field mode">
          <label htmlFor="search-mode">Match</label>
          <select id="search-mode" value={mode} onChange={(e) => setMode(parseMode(e.target.value))}>
            {MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
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
        {collections.data && available.length === 0 && (
          <Notice>
            There are no collections yet. <a href="#/collections">Create one</a> to search it.
          </Notice>
        )}
      </form>
      <ErrorMessage>{error}</ErrorMessage>
      <section aria-labelledby="results-title" aria-busy={busy}>
        <h2 id="results-title" className={response ? undefined : "visually-hidden"}>
          Results
        </h2>
        {response && (
          <p role="status" className="muted">
            {response.hits.length === 0
              ? `Nothing found for “${response.query}”.`
              : `${plural(response.hits.length, "result")} in ${Math.round(response.took_ms)} ms`}
          </p>
        )}
        <ol className="results">
          {(response?.hits ?? []).map((hit, i) => (
            <Result key={`${hit.collection}/${hit.document_id}/${hit.chunk_index}`} hit={hit} rank={i + 1} />
          ))}
        </ol>
      </section>
    </>
  );
}
