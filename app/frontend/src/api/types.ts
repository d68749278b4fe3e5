// The shapes of webui's API (mirrors app/semantik/webui/schemas.py).

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in?: number;
}

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
  is_active?: boolean;
  created_at?: string;
}

export interface UserCreate {
  username: string;
  password: string;
  is_admin: boolean;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface FileError {
  path: string;
  error: string;
}

export interface Job {
  id: number;
  collection_id: number;
  status: JobStatus;
  total_files: number;
  processed_files: number;
  indexed_files: number;
  skipped_files: number;
  failed_files: number;
  deleted_files: number;
  chunks: number;
  errors: FileError[];
  message?: string | null;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface Collection {
  id: number;
  name: string;
  source_path: string;
  model: string;
  status: string;
  document_count: number;
  chunk_count: number;
  created_at?: string;
  last_job?: Job | null;
}

export interface CollectionCreate {
  name: string;
  source_path: string;
}

export interface SearchRequest {
  query: string;
  collection_ids?: number[];
  limit?: number;
}

export interface SearchHit {
  collection_id: number;
  collection_name?: string;
  document_id: number | string;
  path: string;
  score: number;
  snippet: string;
  chunk_index?: number;
}

export interface SearchResponse {
  query: string;
  results: SearchHit[];
  took_ms?: number;
}

export interface SourceFolder {
  path: string;
  files?: number;
}

export interface About {
  [key: string]: unknown;
}

export const FINISHED: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "cancelled"]);
