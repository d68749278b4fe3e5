// How a fetched document is shown. A blob: URL runs with this app's origin, so a document that
// could carry script (HTML, SVG, XML) must never be opened as what it is: it would read the
// signed-in user's tokens. Such text is shown as plain text; other binary types are downloaded.

const INLINE = new Set([
  "text/plain",
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

const AS_TEXT = /^(text\/|message\/|application\/(json|xml|xhtml\+xml|javascript)|image\/svg\+xml)/;

/** The type to open a document as in a new tab, or null to download it instead. */
export function inlineType(contentType: string): string | null {
  const mime = contentType.split(";")[0].trim().toLowerCase();
  if (INLINE.has(mime)) return mime === "text/plain" ? "text/plain; charset=utf-8" : mime;
  if (AS_TEXT.test(mime)) return "text/plain; charset=utf-8";
  return null;
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
