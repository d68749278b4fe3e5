// Splits a snippet at the highlight offsets webui sends ([start, end) pairs). Returns plain
// segments: React escapes them, so a snippet can never inject markup.

export interface Segment {
  text: string;
  match: boolean;
}

export function highlight(text: string, ranges: readonly (readonly [number, number])[]): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  // Sorted, clamped to the text, overlaps merged: offsets come from another program.
  const sorted = [...ranges]
    .map(([s, e]) => [Math.max(0, s), Math.min(text.length, e)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (end <= last) continue;
    const from = Math.max(start, last);
    if (from > last) segments.push({ text: text.slice(last, from), match: false });
    segments.push({ text: text.slice(from, end), match: true });
    last = end;
  }
  if (last < text.length) segments.push({ text: text.slice(last), match: false });
  return segments;
}
