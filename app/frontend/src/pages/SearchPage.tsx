// Search: query box, collection filter, ranked results with highlighted snippets. The query
// lives in the address (#/search?q=…&c=1,2) so a search can be bookmarked or shared.
import { type FormEvent, useEffect, useState } from "react";
import type { SearchHit, SearchResponse } from "../api/types";
import { ErrorMessage, Notice } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { formatScore, plural } from "../format";
import { highlight } from "../highlight";
import { useLoad } from "../hooks";
import { type Route, navigate } from "../router";
import { useSession } from "../session";

function parseIds(value: string | null): number[] {
  return (value ?? "")
    .split(",")
    .filter((v) => /^\d+$/.test(v))
    .map(Number);
}

function Snippet({ text, query }: { text: string; query: string }) {
  return (
    <p className="snippet">
      {highlight(text, query).map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : s.text))}
    </p>
  );
}

function Result({ hit, query, rank }: { hit: SearchHit; query: string; rank: number }) {
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);

  async function fetchDocument(mode: "open" | "download") {
    setError(null);
    // Open the tab now, inside the click, so popup blockers allow it; fill it once loaded.
    const tab = mode === "open" ? window.open("", "_blank") : null;
    try {
      const { blob, filename } = await api.document(hit.collection_id, hit.document_id);
      const url = URL.createObjectURL(blob);
      if (tab) {
        tab.location.href = url;
      } else {
        const a = document.createElement("a");
        a.href = url;
        a.download = filename ?? hit.path.split("/").pop() ?? "document";
        document.body.append(a);
        a.click();
        a.remove();
      }
      window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
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
          {hit.collection_name && <span className="badge">{hit.collection_name}</span>}
          <span className="score" title="Similarity score">
            score {formatScore(hit.score)}
          </span>
        </p>
        <Snippet text={hit.snippet} query={query} />
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
  const urlIds = route.query.get("c") ?? "";
  const [query, setQuery] = useState(urlQuery);
  const [selected, setSelected] = useState<number[]>(() => parseIds(urlIds));
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Run the search the address names (on load, on back/forward, after submit).
  useEffect(() => {
    setQuery(urlQuery);
    setSelected(parseIds(urlIds));
    if (!urlQuery.trim()) {
      setResponse(null);
      return;
    }
    let alive = true;
    setBusy(true);
    setError(null);
    const ids = parseIds(urlIds);
    api
      .search({ query: urlQuery, collection_ids: ids.length ? ids : undefined })
      .then((r) => alive && setResponse(r))
      .catch((err) => alive && setError((err as Error).message))
      .finally(() => alive && setBusy(false));
    return () => {
      alive = false;
    };
  }, [api, urlQuery, urlIds]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const params = new URLSearchParams();
    params.set("q", query.trim());
    if (selected.length) params.set("c", selected.join(","));
    navigate(`/search?${params.toString()}`);
  }

  function toggle(id: number, on: boolean) {
    setSelected((prev) => (on ? [...prev, id] : prev.filter((x) => x !== id)));
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
        {available.length > 0 && (
          <fieldset className="filter">
            <legend>Collections (none ticked: all)</legend>
            {available.map((c) => (
              <label key={c.id} className="check">
                <input
                  type="checkbox"
                  checked={selected.includes(c.id)}
                  onChange={(e) => toggle(c.id, e.target.checked)}
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
            {response.results.length === 0
              ? `Nothing found for “${response.query ?? urlQuery}”.`
              : `${plural(response.results.length, "result")}${
                  response.took_ms !== undefined ? ` in ${Math.round(response.took_ms)} ms` : ""
                }`}
          </p>
        )}
        <ol className="results">
          {(response?.results ?? []).map((hit, i) => (
            <Result key={`${hit.collection_id}-${hit.document_id}-${hit.chunk_index ?? i}`} hit={hit} query={urlQuery} rank={i + 1} />
          ))}
        </ol>
      </section>
    </>
  );
}
