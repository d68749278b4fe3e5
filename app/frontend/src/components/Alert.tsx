// Error and status messages announced to screen readers.
import type { ReactNode } from "react";

export function ErrorMessage({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p className="message error" role="alert">
      {children}
    </p>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="message notice" role="status">
      {children}
    </p>
  );
}
