// One indexing job, live: the SSE stream pushes updates; if the stream breaks we poll instead.
import { useEffect, useState } from "react";
import type { Job } from "../api/types";
import { FINISHED } from "../api/types";
import { ErrorMessage } from "../components/Alert";
import { JobProgress } from "../components/JobProgress";
import { PageHeading } from "../components/PageHeading";
import { formatDate } from "../format";
import { useSession } from "../session";

const POLL_MS = 1500;

export function JobPage({ jobId }: { jobId: number }) {
  const { api } = useSession();
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);

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
      // The stream ended or failed before the job did: read the final state by polling.
      await poll();
    })();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [api, jobId]);

  async function cancel() {
    setCancelling(true);
    try {
      setJob(await api.cancelJob(jobId));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setCancelling(false);
    }
  }

  return (
    <>
      <PageHeading title={`Indexing job ${jobId}`} />
      <p>
        <a href="#/collections">Back to collections</a>
      </p>
      <ErrorMessage>{error}</ErrorMessage>
      {!job && !error && <p role="status">Loading…</p>}
      {job && (
        <div className="card">
          <JobProgress job={job} />
          <p className="muted">
            Started {formatDate(job.started_at ?? job.created_at)}
            {job.finished_at ? ` · finished ${formatDate(job.finished_at)}` : ""}
          </p>
          <div className="actions">
            {!FINISHED.has(job.status) && (
              <button type="button" className="secondary" disabled={cancelling} onClick={() => void cancel()}>
                {cancelling ? "Cancelling…" : "Cancel job"}
              </button>
            )}
            {job.status === "succeeded" && (
              <a className="button" href={`#/search?c=${job.collection_id}`}>
                Search this collection
              </a>
            )}
          </div>
        </div>
      )}
    </>
  );
}
