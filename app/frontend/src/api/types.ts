// The shapes of webui's API: mirrors app/semantik/webui/schemas.py (times are Unix seconds).
// tests/frontend/test_api_types.py checks property names and `?` against webui's OpenAPI schema.

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
  disabled: boolean;
  created_at: number;
  last_login_at?: number | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in: number;
  session_id: string;
  user: User;
}

export interface UserCreate {
  username: string;
  password: string;
  is_admin?: boolean;
}

export interface UserUpdate {
  disabled?: boolean;
  is_admin?: boolean;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

export interface Job {
  id: number;
  collection: string;
  status: JobStatus;
  cancel_requested: boolean;
  files_total: number;
  files_done: number;
  added: number;
  updated: number;
  skipped: number;
  removed: number;
  failed: number;
  unsupported: number;
  chunks: number;
  current_path: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface FileState {
  path: string;
  size: number;
  mtime: number;
  sha256: string | null;
  status: "indexed" | "error" | "unsupported";
  error: string | null;
  chunk_count: number;
  updated_at: number;
}

export interface Collection {
  name: string;
  description: string;
  source: string;
  model: string;
  dimension: number;
  chunk_tokens: number;
  chunk_overlap_tokens: number;
  created_at: number;
  last_indexed_at: number | null;
  files: number;
  chunks: number;
  errors: number;
  active_job_id: number | null;
}

export interface CollectionCreate {
  name: string;
  source: string;
  description?: string;
  /** Unset: the model vecpipe serves. */
  model?: string | null;
  index?: boolean;
}

export type SearchMode = "hybrid" | "dense" | "keyword";

export interface SearchRequest {
  query: string;
  collections?: string[];
  /** Documents per page. */
  k?: number;
  /** Documents to skip: the previous page's next_offset. */
  offset?: number;
  /** Unset: the server's default (SEMANTIK_DEFAULT_SEARCH_MODE). */
  mode?: SearchMode;
  file_types?: string[];
  folder?: string;
  sort?: "relevance" | "date";
}

export interface Passage {
  chunk_index: number;
  start: number;
  end: number;
  snippet: string;
  /** [start, end) offsets in snippet of the query's words. */
  highlights: [number, number][];
  /** [start, end) in snippet of the sentence(s) closest to the query. */
  answer?: [number, number] | null;
  /** The answer's offsets in the document text (the preview's text). */
  answer_start?: number | null;
  answer_end?: number | null;
}

export interface DocumentResult {
  collection: string;
  document_id: string;
  path: string;
  title: string;
  file_type: string;
  mtime: number | null;
  score: number;
  similarity: number | null;
  strength: "strong" | "fair" | "weak";
  matched: "meaning" | "words" | "both";
  passage: Passage;
  more_passages: Passage[];
}

export interface Preview {
  collection: string;
  document_id: string;
  path: string;
  title: string;
  text: string;
}

export interface SearchHit {
  collection: string;
  path: string;
  document_id: string;
  chunk_index: number;
  score: number;
  start: number;
  end: number;
  snippet: string;
  /** [start, end) offsets in snippet of the query's words. */
  highlights: [number, number][];
}

export interface SearchResponse {
  query: string;
  model: string;
  /** One per document, best first. */
  results: DocumentResult[];
  total: number;
  offset: number;
  next_offset: number | null;
  /** Nothing reached the calibrated similarity floor. */
  no_good_match: boolean;
  /** Searched collections still being indexed. */
  indexing: string[];
  /** The lead chunk of each result (older clients). */
  hits: SearchHit[];
  took_ms: number;
}

export interface Sources {
  path: string;
  directories: string[];
}

export interface About {
  version: string;
  /** <version>-<build id> of the running release */
  release: string;
  python: string;
  model?: string | null;
  dimension?: number | null;
  device?: string | null;
  precision?: string | null;
  vecpipe: string;
  documents_root: string;
  components?: Record<string, string>;
}

export const FINISHED: ReadonlySet<string> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
]);
