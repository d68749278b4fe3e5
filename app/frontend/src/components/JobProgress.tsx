// A job's progress: bar, counts, the file in hand, and the files that failed.
import type { FileState, Job } from "../api/types";
import { percent, plural } from "../format";

const STATUS_TEXT: Record<string, string> = {
  queued: "Waiting to start",
  running: "Indexing",
  succeeded: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
  interrupted: "Interrupted (the server restarted)",
};

export function statusText(status: string): string {
  return STATUS_TEXT[status] ?? status;
}

/** "1 min 5 s", "42 s". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** Elapsed time, files per second and (while running) the time left, from the job's counts. */
export function pace(job: Job, now: number = Date.now() / 1000) {
  if (!job.started_at) return null;
  const elapsed = Math.max(0, (job.finished_at ?? now) - job.started_at);
  const rate = elapsed > 0 ? job.files_done / elapsed : 0;
  const left = job.files_total - job.files_done;
  const eta = job.status === "running" && rate > 0 && left > 0 ? left / rate : null;
  return { elapsed, rate, eta };
}

export function JobProgress({ job, failedFiles }: { job: Job; failedFiles: FileState[] }) {
  const done = job.files_done;
  const total = job.files_total;
  const pct = job.status === "succeeded" ? 100 : percent(done, total);
  const timing = pace(job);
  const unchanged =
    job.status === "succeeded" && total > 0 && job.skipped === total && !job.removed;
  const counts: [string, number][] = [
    ["Files found", total],
    ["Processed", done],
    ["Added", job.added],
    ["Updated", job.updated],
    ["Unchanged", job.skipped],
    ["Removed", job.removed],
    ["Unsupported", job.unsupported],
    ["Failed", job.failed],
    ["New chunks", job.chunks],
  ];
  return (
    <section className="job-progress" aria-label="Progress">
      <p className={`status status-${job.status}`} role="status" aria-live="polite">
        {statusText(job.status)}
        {job.status === "running" && job.cancel_requested ? " — cancelling…" : ""}
        {job.status === "running" && total > 0 ? ` — ${pct}%` : ""}
      </p>
      {job.error && <p className="message error">{job.error}</p>}
      {unchanged && (
        <p className="unchanged">Nothing changed: all {plural(total, "file")} are already indexed.</p>
      )}
      {timing && (
        <p className="muted pace">
          {formatSeconds(timing.elapsed)} elapsed · {timing.rate.toFixed(1)} files/s
          {timing.eta !== null ? ` · about ${formatSeconds(timing.eta)} left` : ""}
        </p>
      )}
      <progress max={100} value={pct} aria-label={`${done} of ${total} files processed`} />
      <p className="muted current-file" aria-hidden={job.status !== "running"}>
        {job.status === "running" && job.current_path ? (
          <>
            Reading <code>{job.current_path}</code>
          </>
        ) : (
          " "
        )}
      </p>
      <dl className="counts">
        {counts.map(([label, value]) => (
          <div key={label} className={label === "Failed" && value > 0 ? "bad" : undefined}>
            <dt>{label}</dt>
            <dd>{value ?? 0}</dd>
          </div>
        ))}
      </dl>
      {failedFiles.length > 0 && (
        <section className="file-errors" aria-labelledby="file-errors-title">
          <h2 id="file-errors-title">{plural(failedFiles.length, "file")} could not be indexed</h2>
          <ul>
            {failedFiles.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>
                <span>{f.error ?? "unknown error"}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
