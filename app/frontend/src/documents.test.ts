import { describe, expect, it } from "vitest";
import { inlineType } from "./documents";

describe("inlineType", () => {
  it("opens plain text, PDF and raster images as they are", () => {
    expect(inlineType("text/plain; charset=utf-8")).toBe("text/plain; charset=utf-8");
    expect(inlineType("application/pdf")).toBe("application/pdf");
    expect(inlineType("image/png")).toBe("image/png");
  });

  it("never opens script-capable types as themselves", () => {
    for (const type of ["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml"]) {
      expect(inlineType(type)).toBe("text/plain; charset=utf-8");
    }
  });

  it("shows other text as text and downloads binaries", () => {
    expect(inlineType("text/markdown")).toBe("text/plain; charset=utf-8");
    expect(inlineType("message/rfc822")).toBe("text/plain; charset=utf-8");
    expect(inlineType("application/vnd.openxmlformats-officedocument.wordprocessingml.document")).toBeNull();
    expect(inlineType("application/octet-stream")).toBeNull();
    expect(inlineType("")).toBeNull();
  });
});
