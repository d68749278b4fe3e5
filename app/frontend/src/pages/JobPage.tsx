// One indexing job, live: the SSE stream pushes updates; if the stream breaks we poll instead.
import { useEffect, useState } from "react";
import type { FileState, Job } from "../api/types";
import { FINISHED } from "../api/types";
import { ErrorMessage } from "../components/Alert";
import { JobProgress } from "../components/JobProgress";
import { PageHeading } from "../components/PageHeading";
import { formatDate } from "../format";
import { useAction } from "../hooks";
import { useSession } from "../session";

const POLL_MS = 1500;

export function JobPage({ jobId }: { jobId: number }) {
  const { api, user } = useSession();
  const [job, setJob] = useState<Job | null>(null);
  const [failedFiles, setFailedFiles] = useState<FileState[]>([]);
  const [error, setError] = useState<string | null>(null);
  const cancelAction = useAction();
  const cancelling = cancelAction.busy;

  useEffect(() => {
    const abort = new AbortController();
    let timer: number | undefined;
    let finished = false;
    const apply = (next: Job) => {
      if (abort.signal.aborted) return;
      setJob(next);
      setError(null);
      finished = FINISHED.has(next.status);
    };
    const poll = async () => {
      while (!abort.signal.aborted && !finished) {
        try {
          apply(await api.getJob(jobId));
        } catch (err) {
          if (abort.signal.aborted) return;
          setError((err as Error).message);
        }
        if (finished) return;
        await new Promise((r) => (timer = window.setTimeout(r, POLL_MS)));
      }
    };
    (async () => {
      try {
        apply(await api.getJob(jobId));
        if (finished) return;
        await api.followJob(jobId, apply, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return;
        if ((err as { status?: number }).status === 404) {
          setError((err as Error).message);
          return;
        }
      }
      // The stream ended or broke before the job did: read the rest by polling.
      await poll();
    })();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [api, jobId]);

  // The per-file errors live with the collection's files; reload them when the count moves.
  const collection = job?.collection;
  const failed = job?.failed ?? 0;
  useEffect(() => {
    if (!collection || failed === 0) {
      setFailedFiles([]);
      return;
    }
    let alive = true;
    api
      .listFiles(collection, "error")
      .then((files) => alive && setFailedFiles(files))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [api, collection, failed]);

  function cancel() {
    void cancelAction.run(async () => setJob(await api.cancelJob(jobId)));
  }

  return (
    <>
      <PageHeading title={job ? `Indexing “${job.collection}”` : `Indexing job ${jobId}`} />
      <p>
        <a href="#/collections">Back to collections</a>
      </p>
      <ErrorMessage>{error ?? cancelAction.error}</ErrorMessage>
      {!job && !error && <p role="status">Loading…</p>}
      {job && (
        <div className="card">
          <JobProgress job={job} failedFiles={failedFiles} />
          <p className="muted">
            Job {job.id} · queued {formatDate(job.created_at)}
            {job.finished_at ? ` · finished ${formatDate(job.finished_at)}` : ""}
          </p>
          <div className="actions">
            {!FINISHED.has(job.status) && user.is_admin && (
              <button
                type="button"
                className="secondary"
                disabled={cancelling || job.cancel_requested}
                onClick={cancel}
              >
                {cancelling || job.cancel_requested ? "Cancelling…" : "Cancel job"}
              </button>
            )}
            {job.status === "succeeded" && (
              <a className="button" href={`#/search?c=${encodeURIComponent(job.collection)}`}>
                Search this collection
              </a>
            )}
          </div>
        </div>
      )}
    </>
  );
}
