import { describe, expect, it } from "vitest";
import { highlight, queryTerms } from "./highlight";

describe("highlight", () => {
  it("marks each query word, case-insensitively", () => {
    expect(highlight("The Quick brown fox", "quick FOX")).toEqual([
      { text: "The ", match: false },
      { text: "Quick", match: true },
      { text: " brown ", match: false },
      { text: "fox", match: true },
    ]);
  });

  it("prefers the longest word when one contains another", () => {
    const marked = highlight("indexing the index", "index indexing")
      .filter((s) => s.match)
      .map((s) => s.text);
    expect(marked).toEqual(["indexing", "index"]);
  });

  it("treats regex characters in the query as text", () => {
    expect(highlight("a (b) c+ d", "(b) c+").filter((s) => s.match).map((s) => s.text)).toEqual([]);
    expect(highlight("price $10.50 now", "10.50").filter((s) => s.match).map((s) => s.text)).toEqual([
      "10",
      "50",
    ]);
  });

  it("returns markup-looking text as plain text", () => {
    const segments = highlight("<img src=x onerror=alert(1)> secret", "secret");
    expect(segments[0]).toEqual({ text: "<img src=x onerror=alert(1)> ", match: false });
  });

  it("ignores one-letter words and keeps non-latin words", () => {
    expect(queryTerms("a résumé über ü")).toEqual(["résumé", "über"]);
    expect(highlight("nothing", "")).toEqual([{ text: "nothing", match: false }]);
    expect(highlight("", "x")).toEqual([]);
  });
});
