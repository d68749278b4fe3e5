// A job's progress: bar, counts and per-file errors.
import type { Job } from "../api/types";
import { percent, plural } from "../format";

const STATUS_TEXT: Record<string, string> = {
  queued: "Waiting to start",
  running: "Indexing",
  succeeded: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function statusText(status: string): string {
  return STATUS_TEXT[status] ?? status;
}

export function JobProgress({ job }: { job: Job }) {
  const done = job.processed_files;
  const total = job.total_files;
  const pct = percent(done, total);
  const counts: [string, number][] = [
    ["Files found", total],
    ["Processed", done],
    ["Indexed", job.indexed_files],
    ["Unchanged", job.skipped_files],
    ["Removed", job.deleted_files],
    ["Failed", job.failed_files],
    ["Chunks", job.chunks],
  ];
  return (
    <section className="job-progress" aria-label="Progress">
      <p className={`status status-${job.status}`} role="status" aria-live="polite">
        {statusText(job.status)}
        {job.status === "running" && total > 0 ? ` — ${pct}%` : ""}
        {job.message ? `: ${job.message}` : ""}
      </p>
      <progress
        max={total || 1}
        value={job.status === "succeeded" ? total || 1 : done}
        aria-label={`${done} of ${total} files processed`}
      />
      <dl className="counts">
        {counts.map(([label, value]) => (
          <div key={label} className={label === "Failed" && value > 0 ? "bad" : undefined}>
            <dt>{label}</dt>
            <dd>{value ?? 0}</dd>
          </div>
        ))}
      </dl>
      {job.errors?.length > 0 && (
        <section className="file-errors">
          <h2>{plural(job.errors.length, "file")} could not be indexed</h2>
          <ul>
            {job.errors.map((e) => (
              <li key={e.path}>
                <code>{e.path}</code>
                <span>{e.error}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
