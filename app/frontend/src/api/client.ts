// HTTP access to webui's /api: bearer tokens, one shared refresh on 401, readable errors.
import type { TokenPair } from "./types";

const STORAGE_KEY = "semantik.tokens";

/** What the client keeps of a TokenPair: the two tokens. */
export type StoredTokens = Pick<TokenPair, "access_token" | "refresh_token">;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** FastAPI answers {"detail": "..."} or, for validation errors, {"detail": [{loc, msg}, ...]}. */
export function errorMessage(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => {
        const field = (d.loc ?? []).filter((p) => p !== "body").join(".");
        return field ? `${field}: ${d.msg ?? "invalid"}` : (d.msg ?? "invalid");
      })
      .join("; ");
  }
  if (status === 0) return "The server cannot be reached.";
  return `Request failed (HTTP ${status}).`;
}

/** Where tokens live: sessionStorage, so a reload keeps the session but closing the tab ends it. */
export interface TokenStore {
  load(): StoredTokens | null;
  save(tokens: StoredTokens | null): void;
}

export const sessionTokenStore: TokenStore = {
  load() {
    try {
      const raw = sessionStorage.getItem(STORAGE_KEY);
      return raw ? (JSON.parse(raw) as StoredTokens) : null;
    } catch {
      return null;
    }
  },
  save(tokens) {
    if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else sessionStorage.removeItem(STORAGE_KEY);
  },
};

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Skip the bearer token and the refresh-on-401 (login and refresh themselves). */
  anonymous?: boolean;
}

export class ApiClient {
  private tokens: StoredTokens | null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly base = "api",
    private readonly store: TokenStore = sessionTokenStore,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    this.tokens = store.load();
  }

  get loggedIn(): boolean {
    return this.tokens !== null;
  }

  /** Called when the session ends by itself (refresh refused): the app shows the login page. */
  onSessionEnd(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setTokens(tokens: StoredTokens | null): void {
    this.tokens = tokens;
    this.store.save(tokens);
  }

  get refreshToken(): string | null {
    return this.tokens?.refresh_token ?? null;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** A fetch with the current bearer token that refreshes once and retries on 401. */
  async raw(path: string, init: RequestInit = {}, anonymous = false): Promise<Response> {
    const send = () => {
      const headers = new Headers(init.headers);
      if (!anonymous && this.tokens) {
        headers.set("Authorization", `Bearer ${this.tokens.access_token}`);
      }
      return this.fetchImpl(this.url(path), { ...init, headers });
    };
    let response: Response;
    try {
      response = await send();
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(0, errorMessage(0, null));
    }
    if (response.status === 401 && !anonymous && this.tokens) {
      if (await this.refresh()) response = await send();
      else this.endSession();
    }
    return response;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const init: RequestInit = { method: options.method ?? "GET", signal: options.signal };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { "Content-Type": "application/json" };
    }
    const response = await this.raw(path, init, options.anonymous);
    return readJson<T>(response);
  }

  /** Rotating refresh: concurrent 401s share one refresh call. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const refreshToken = this.tokens?.refresh_token;
    if (!refreshToken) return false;
    try {
      const response = await this.fetchImpl(this.url("/auth/refresh"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      if (!response.ok) return false;
      this.setTokens((await response.json()) as TokenPair);
      return true;
    } catch {
      return false;
    }
  }

  endSession(): void {
    this.setTokens(null);
    for (const listener of this.listeners) listener();
  }
}

export async function readJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, body));
  return body as T;
}
