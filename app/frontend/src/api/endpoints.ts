// One function per webui endpoint the browser uses.
import { type ApiClient, ApiError, readJson } from "./client";
import { readEventStream } from "./sse";
import type {
  About,
  Collection,
  CollectionCreate,
  Job,
  SearchRequest,
  SearchResponse,
  SourceFolder,
  TokenPair,
  User,
  UserCreate,
} from "./types";

export function makeApi(client: ApiClient) {
  return {
    client,

    async login(username: string, password: string): Promise<void> {
      const tokens = await client.request<TokenPair>("/auth/login", {
        method: "POST",
        body: { username, password },
        anonymous: true,
      });
      client.setTokens(tokens);
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
    updateUser: (id: number, body: Partial<UserCreate> & { is_active?: boolean }) =>
      client.request<User>(`/users/${id}`, { method: "PATCH", body }),
    deleteUser: (id: number) => client.request<void>(`/users/${id}`, { method: "DELETE" }),

    listSources: () => client.request<SourceFolder[]>("/sources"),

    listCollections: () => client.request<Collection[]>("/collections"),
    createCollection: (body: CollectionCreate) =>
      client.request<Collection>("/collections", { method: "POST", body }),
    deleteCollection: (id: number) =>
      client.request<void>(`/collections/${id}`, { method: "DELETE" }),
    indexCollection: (id: number) =>
      client.request<Job>(`/collections/${id}/index`, { method: "POST" }),

    getJob: (id: number) => client.request<Job>(`/jobs/${id}`),
    cancelJob: (id: number) => client.request<Job>(`/jobs/${id}/cancel`, { method: "POST" }),

    /** Follows a job's SSE stream; resolves when the stream ends. */
    async followJob(id: number, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
      const response = await client.raw(`/jobs/${id}/events`, {
        headers: { Accept: "text/event-stream" },
        signal,
      });
      if (!response.ok) await readJson(response);
      await readEventStream(response, (event) => {
        if (event.event === "message" || event.event === "job" || event.event === "progress") {
          onJob(JSON.parse(event.data) as Job);
        }
      });
    },

    search: (body: SearchRequest) =>
      client.request<SearchResponse>("/search", { method: "POST", body }),

    /** Fetches a document with the bearer token and returns it as a Blob with its file name. */
    async document(collectionId: number, documentId: number | string) {
      const response = await client.raw(
        `/collections/${collectionId}/documents/${encodeURIComponent(String(documentId))}`,
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
