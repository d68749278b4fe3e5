// The app against a scripted webui (fetch replaced at the HTTP boundary): sign-in, session end,
// role-dependent navigation, search results. The real server is exercised by e2e/run.mjs.
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiClient, sessionTokenStore } from "./api/client";
import { makeApi } from "./api/endpoints";
import type { SearchResponse, User } from "./api/types";
import { App } from "./App";

type Handler = (body: unknown, init: RequestInit) => Response | Promise<Response>;

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });

const admin: User = { id: 1, username: "alice", is_admin: true, disabled: false, created_at: 0 };
const reader: User = { ...admin, id: 2, username: "bob", is_admin: false };

function fakeServer(routes: Record<string, Handler>) {
  const calls: string[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = String(input).replace(/^api/, "");
    const key = `${init.method ?? "GET"} ${path.split("?")[0]}`;
    calls.push(key);
    const handler = routes[key];
    if (!handler) return json(404, { detail: `no route ${key}` });
    return handler(init.body ? JSON.parse(String(init.body)) : null, init);
  };
  return { api: makeApi(new ApiClient("api", sessionTokenStore, fetchImpl)), calls };
}

const loginRoute = (user: User): Handler => (body) => {
  const { username, password } = body as { username: string; password: string };
  return username === user.username && password === "secret"
    ? json(200, { access_token: "A1", refresh_token: "R1", expires_in: 900, session_id: "s", user })
    : json(401, { detail: "wrong user name or password" });
};

describe("App", () => {
  it("signs in after a failed try and shows the navigation for an admin", async () => {
    const { api } = fakeServer({
      "POST /auth/login": loginRoute(admin),
      "GET /collections": () => json(200, []),
    });
    render(<App api={api} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("User name"), "alice");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toBe("wrong user name or password");

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "secret");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual([
      "Search",
      "Collections",
      "Users",
      "About",
    ]);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Search");
  });

  it("hides administration from a non-admin", async () => {
    sessionTokenStore.save({ access_token: "A1", refresh_token: "R1" });
    window.location.hash = "#/users";
    const { api } = fakeServer({
      "GET /auth/me": () => json(200, reader),
      "GET /collections": () => json(200, []),
    });
    render(<App api={api} />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).queryByRole("link", { name: "Users" })).toBeNull();
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Not found");
  });

  it("returns to the sign-in page when the refresh token is refused", async () => {
    sessionTokenStore.save({ access_token: "A1", refresh_token: "R1" });
    window.location.hash = "#/collections";
    let meCalls = 0;
    const { api, calls } = fakeServer({
      // Valid on the first call, expired afterwards.
      "GET /auth/me": () => (meCalls++ === 0 ? json(200, admin) : json(401, { detail: "expired" })),
      "GET /collections": () => json(401, { detail: "token expired" }),
      "GET /sources": () => json(401, { detail: "token expired" }),
      "POST /auth/refresh": () => json(401, { detail: "refresh token revoked" }),
    });
    render(<App api={api} />);
    expect(await screen.findByText("Your session has ended. Please sign in again.")).toBeTruthy();
    expect(screen.getByLabelText("User name")).toBeTruthy();
    expect(calls).toContain("POST /auth/refresh");
    expect(sessionTokenStore.load()).toBeNull();
  });

  it("shows one result per document: title, path, strength, the answer and more passages", async () => {
    sessionTokenStore.save({ access_token: "A1", refresh_token: "R1" });
    window.location.hash = "#/search?q=solar%20panels&c=energy";
    let sent: unknown = null;
    const passage = {
      chunk_index: 0,
      start: 0,
      end: 36,
      snippet: "Install solar panels on <b>roofs</b>. Angle them south.",
      highlights: [
        [8, 13],
        [14, 20],
      ] as [number, number][],
      answer: [0, 37] as [number, number],
      answer_start: 0,
      answer_end: 37,
    };
    const response: SearchResponse = {
      query: "solar panels",
      model: "m",
      took_ms: 12.3,
      total: 1,
      offset: 0,
      next_offset: null,
      no_good_match: false,
      indexing: ["energy"],
      hits: [],
      results: [
        {
          collection: "energy",
          path: "reports/roof.txt",
          document_id: "d1",
          title: "Roof report 2024",
          file_type: "txt",
          mtime: 1700000000,
          score: 0.81234,
          similarity: 0.61,
          strength: "strong",
          matched: "both",
          passage,
          more_passages: [{ ...passage, chunk_index: 3, answer: null, snippet: "More solar text" }],
        },
      ],
    };
    const { api } = fakeServer({
      "GET /auth/me": () => json(200, reader),
      "GET /collections": () => json(200, []),
      "POST /search": (body) => {
        sent = body;
        return json(200, response);
      },
    });
    render(<App api={api} />);
    const result = await screen.findByRole("article");
    expect(sent).toEqual({ query: "solar panels", collections: ["energy"] });
    expect(within(result).getByRole("heading").textContent).toBe("Result 1: Roof report 2024");
    const snippet = result.querySelector(".snippet");
    expect([...(snippet?.querySelectorAll("mark") ?? [])].map((m) => m.textContent)).toEqual(["solar", "panels"]);
    expect(snippet?.querySelector(".answer")?.textContent).toBe("Install solar panels on <b>roofs</b>.");
    expect(snippet?.textContent).toBe("Install solar panels on <b>roofs</b>. Angle them south.");
    expect(within(result).getByText("reports/roof.txt")).toBeTruthy();
    expect(within(result).getByText("Strong match")).toBeTruthy();
    expect(within(result).getByText("on meaning and words")).toBeTruthy();
    expect(within(result).getByText("1 more passage")).toBeTruthy();
    expect(screen.getByText("1 document match, in 12 ms")).toBeTruthy();
    expect(screen.getByText(/Still indexing energy/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "More results" })).toBeNull();
    await waitFor(() => expect((screen.getByLabelText("Search your documents") as HTMLInputElement).value).toBe("solar panels"));
  });

  it("says there is no good match instead of listing noise", async () => {
    sessionTokenStore.save({ access_token: "A1", refresh_token: "R1" });
    window.location.hash = "#/search?q=xyzzy";
    const { api } = fakeServer({
      "GET /auth/me": () => json(200, reader),
      "GET /collections": () => json(200, []),
      "POST /search": () =>
        json(200, {
          query: "xyzzy", model: "m", took_ms: 3, total: 0, offset: 0, next_offset: null,
          no_good_match: true, indexing: [], hits: [], results: [],
        }),
    });
    render(<App api={api} />);
    expect(await screen.findByText(/^No good match for “xyzzy”/)).toBeTruthy();
    expect(screen.queryByRole("article")).toBeNull();
  });
});
