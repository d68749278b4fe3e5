// One function per webui endpoint the browser uses.
import { type ApiClient, ApiError, readJson } from "./client";
import { readEventStream } from "./sse";
import type {
  About,
  Collection,
  CollectionCreate,
  FileState,
  Job,
  Preview,
  SearchRequest,
  SearchResponse,
  Sources,
  TokenPair,
  User,
  UserCreate,
  UserUpdate,
} from "./types";

export function makeApi(client: ApiClient) {
  const c = (name: string) => `/collections/${encodeURIComponent(name)}`;
  const u = (name: string) => `/users/${encodeURIComponent(name)}`;
  return {
    client,

    /** Signs in; the token response carries the user, so no second call is needed. */
    async login(username: string, password: string): Promise<User> {
      const tokens = await client.request<TokenPair>("/auth/login", {
        method: "POST",
        body: { username, password },
        anonymous: true,
      });
      client.setTokens({ access_token: tokens.access_token, refresh_token: tokens.refresh_token });
      return tokens.user ?? client.request<User>("/auth/me");
    },

    async logout(): Promise<void> {
      const refresh_token = client.refreshToken;
      try {
        if (refresh_token) {
          await client.request("/auth/logout", { method: "POST", body: { refresh_token } });
        }
      } finally {
        client.setTokens(null);
      }
    },

    me: () => client.request<User>("/auth/me"),

    listUsers: () => client.request<User[]>("/users"),
    createUser: (body: UserCreate) => client.request<User>("/users", { method: "POST", body }),
    updateUser: (username: string, body: UserUpdate) =>
      client.request<User>(u(username), { method: "PATCH", body }),
    resetPassword: (username: string, password: string) =>
      client.request<void>(`${u(username)}/password`, { method: "POST", body: { password } }),

    listSources: (path = "") =>
      client.request<Sources>(`/sources?${new URLSearchParams({ path }).toString()}`),

    listCollections: () => client.request<Collection[]>("/collections"),
    createCollection: (body: CollectionCreate) =>
      client.request<Collection>("/collections", { method: "POST", body }),
    deleteCollection: (name: string) => client.request<void>(c(name), { method: "DELETE" }),
    indexCollection: (name: string) => client.request<Job>(`${c(name)}/index`, { method: "POST" }),
    listFiles: (name: string, status?: FileState["status"]) =>
      client.request<FileState[]>(
        `${c(name)}/files${status ? `?${new URLSearchParams({ status }).toString()}` : ""}`,
      ),

    getJob: (id: number) => client.request<Job>(`/jobs/${id}`),
    cancelJob: (id: number) => client.request<Job>(`/jobs/${id}/cancel`, { method: "POST" }),

    /** Follows a job's SSE stream ("progress" events, then "end"); resolves when it ends. */
    async followJob(id: number, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
      const response = await client.raw(`/jobs/${id}/events`, {
        headers: { Accept: "text/event-stream" },
        signal,
      });
      if (!response.ok) await readJson(response);
      await readEventStream(response, (event) => {
        if (event.event === "progress") onJob(JSON.parse(event.data) as Job);
      });
    },

    search: (body: SearchRequest) =>
      client.request<SearchResponse>("/search", { method: "POST", body }),

    /** A result's document as the clean text indexing extracted (answer offsets index it). */
    preview: (collection: string, documentId: string) =>
      client.request<Preview>(
        `/search/preview?${new URLSearchParams({ collection, document_id: documentId }).toString()}`,
      ),

    /** Fetches a document with the bearer token; returns it as a Blob with its file name. */
    async document(collection: string, path: string) {
      const response = await client.raw(
        `${c(collection)}/document?${new URLSearchParams({ path }).toString()}`,
      );
      if (!response.ok) await readJson(response);
      const blob = await response.blob();
      return { blob, filename: filenameFrom(response.headers.get("Content-Disposition")) };
    },

    about: () => client.request<About>("/about"),
  };
}

export type Api = ReturnType<typeof makeApi>;

export function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
    } catch {
      /* fall through to the plain name */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}

export { ApiError };
