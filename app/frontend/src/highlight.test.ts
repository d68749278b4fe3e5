import { describe, expect, it } from "vitest";
import { highlight } from "./highlight";

describe("highlight", () => {
  it("splits the snippet at the given offsets", () => {
    expect(highlight("The Quick brown fox", [[4, 9], [16, 19]])).toEqual([
      { text: "The ", match: false },
      { text: "Quick", match: true },
      { text: " brown ", match: false },
      { text: "fox", match: true },
    ]);
  });

  it("sorts, merges overlaps and clamps ranges outside the text", () => {
    expect(highlight("abcdefgh", [[6, 99], [1, 3], [2, 4], [-5, 0]])).toEqual([
      { text: "a", match: false },
      { text: "bc", match: true },
      { text: "d", match: true },
      { text: "ef", match: false },
      { text: "gh", match: true },
    ]);
  });

  it("keeps markup-looking text as plain text", () => {
    expect(highlight("<img src=x onerror=alert(1)> secret", [[29, 35]])).toEqual([
      { text: "<img src=x onerror=alert(1)> ", match: false },
      { text: "secret", match: true },
    ]);
  });

  it("handles no ranges and empty text", () => {
    expect(highlight("nothing", [])).toEqual([{ text: "nothing", match: false }]);
    expect(highlight("", [[0, 3]])).toEqual([]);
  });
});
