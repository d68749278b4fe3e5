import { describe, expect, it } from "vitest";
import { SseParser, readEventStream } from "./sse";

describe("SseParser", () => {
  it("joins events split across chunks and multi-line data", () => {
    const p = new SseParser();
    expect(p.push("event: job\ndata: {\"a\"")).toEqual([]);
    expect(p.push(":1}\n\n: keep-alive\n\ndata: x\ndata: y\r\n\r\n")).toEqual([
      { event: "job", data: '{"a":1}', id: undefined },
      { event: "message", data: "x\ny", id: undefined },
    ]);
  });

  it("keeps the last id and strips one leading space only", () => {
    const p = new SseParser();
    expect(p.push("id: 7\ndata:  two spaces\n\n")).toEqual([
      { event: "message", data: " two spaces", id: "7" },
    ]);
  });
});

describe("readEventStream", () => {
  it("reads events from a streamed response body", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const enc = new TextEncoder();
        controller.enqueue(enc.encode("data: 1\n\nda"));
        controller.enqueue(enc.encode("ta: 2\n\n"));
        controller.close();
      },
    });
    const seen: string[] = [];
    await readEventStream(new Response(body), (e) => seen.push(e.data));
    expect(seen).toEqual(["1", "2"]);
  });
});
