import { describe, expect, it } from "vitest";
import type { Job } from "../api/types";
import { formatSeconds, pace } from "./JobProgress";

const job: Job = {
  id: 1, collection: "c", status: "running", cancel_requested: false, files_total: 100,
  files_done: 25, added: 25, updated: 0, skipped: 0, removed: 0, failed: 0, unsupported: 0,
  chunks: 80, current_path: null, error: null, created_at: 990, started_at: 1000, finished_at: null,
};

describe("indexing pace", () => {
  it("gives elapsed time, files per second and the time left while running", () => {
    expect(pace(job, 1010)).toEqual({ elapsed: 10, rate: 2.5, eta: 30 });
  });

  it("has no time left once finished, and nothing before the start", () => {
    const done = { ...job, status: "succeeded" as const, files_done: 100, finished_at: 1040 };
    expect(pace(done, 5000)).toEqual({ elapsed: 40, rate: 2.5, eta: null });
    expect(pace({ ...job, started_at: null })).toBeNull();
  });

  it("formats seconds for people", () => {
    expect(formatSeconds(42.4)).toBe("42 s");
    expect(formatSeconds(65)).toBe("1 min 5 s");
  });
});
