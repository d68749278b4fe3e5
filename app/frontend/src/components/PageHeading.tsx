// The page's h1, also the document title; focusable so the layout can move focus to it.
import { useEffect } from "react";

export function PageHeading({ title }: { title: string }) {
  useEffect(() => {
    document.title = `${title} · Semantik`;
  }, [title]);
  return (
    <h1 tabIndex={-1} className="page-title">
      {title}
    </h1>
  );
}
