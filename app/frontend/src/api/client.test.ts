import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, type StoredTokens, type TokenStore, errorMessage } from "./client";
import { filenameFrom } from "./endpoints";

function memoryStore(
  initial: StoredTokens | null = null,
): TokenStore & { value: StoredTokens | null } {
  return {
    value: initial,
    load() {
      return this.value;
    },
    save(t) {
      this.value = t;
    },
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("ApiClient", () => {
  it("sends the bearer token", async () => {
    const fetchMock = vi.fn(async () => json(200, { ok: true }));
    const client = new ApiClient("/api", memoryStore({ access_token: "A", refresh_token: "R" }), fetchMock);
    await client.request("/collections");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/collections");
    expect(new Headers(init.headers).get("Authorization")).toBe("Bearer A");
  });

  it("refreshes once for concurrent 401s, retries, and stores the rotated tokens", async () => {
    const store = memoryStore({ access_token: "old", refresh_token: "R1" });
    let refreshes = 0;
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.endsWith("/auth/refresh")) {
        refreshes += 1;
        expect(JSON.parse(String(init?.body))).toEqual({ refresh_token: "R1" });
        await new Promise((r) => setTimeout(r, 5));
        return json(200, { access_token: "new", refresh_token: "R2" });
      }
      const auth = new Headers(init?.headers).get("Authorization");
      return auth === "Bearer new" ? json(200, { url }) : json(401, { detail: "token expired" });
    });
    const client = new ApiClient("/api", store, fetchMock);
    const results = await Promise.all([client.request("/a"), client.request("/b")]);
    expect(results).toEqual([{ url: "/api/a" }, { url: "/api/b" }]);
    expect(refreshes).toBe(1);
    expect(store.value).toEqual({ access_token: "new", refresh_token: "R2" });
  });

  it("ends the session when the refresh is refused", async () => {
    const store = memoryStore({ access_token: "old", refresh_token: "R1" });
    const fetchMock = vi.fn(async (input: RequestInfo | URL) =>
      String(input).endsWith("/auth/refresh") ? json(401, { detail: "revoked" }) : json(401, { detail: "expired" }),
    );
    const client = new ApiClient("/api", store, fetchMock);
    const ended = vi.fn();
    client.onSessionEnd(ended);
    await expect(client.request("/a")).rejects.toMatchObject({ status: 401, message: "expired" });
    expect(ended).toHaveBeenCalledOnce();
    expect(store.value).toBeNull();
    expect(client.loggedIn).toBe(false);
  });

  it("does not refresh for anonymous requests such as a failed login", async () => {
    const fetchMock = vi.fn(async () => json(401, { detail: "wrong user name or password" }));
    const client = new ApiClient("/api", memoryStore({ access_token: "A", refresh_token: "R" }), fetchMock);
    await expect(client.request("/auth/login", { method: "POST", body: {}, anonymous: true })).rejects.toThrow(
      "wrong user name or password",
    );
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("reports an unreachable server as status 0", async () => {
    const client = new ApiClient("/api", memoryStore(), async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await client.request("/about").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 0, message: "The server cannot be reached." });
  });
});

describe("errorMessage", () => {
  it("formats FastAPI validation errors with their field", () => {
    expect(
      errorMessage(422, {
        detail: [
          { loc: ["body", "name"], msg: "String should match pattern" },
          { loc: ["body"], msg: "Field required" },
        ],
      }),
    ).toBe("name: String should match pattern; Field required");
  });

  it("falls back to the status", () => {
    expect(errorMessage(502, null)).toBe("Request failed (HTTP 502).");
    expect(errorMessage(409, { detail: "already running" })).toBe("already running");
  });
});

describe("filenameFrom", () => {
  it("reads plain and RFC 5987 file names", () => {
    expect(filenameFrom('attachment; filename="notes.txt"')).toBe("notes.txt");
    expect(filenameFrom("inline; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")).toBe("résumé.pdf");
    expect(filenameFrom(null)).toBeNull();
  });
});
