// Versions, model and device as webui reports them; nested objects become nested lists.
import { ErrorMessage } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { useLoad } from "../hooks";
import { useSession } from "../session";

function label(key: string): string {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === "") return <>–</>;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== "object" || v === null)) return <>{value.join(", ")}</>;
    return (
      <ul className="plain">
        {value.map((v, i) => (
          <li key={i}>
            <Value value={v} />
          </li>
        ))}
      </ul>
    );
  }
  if (typeof value === "object") return <Details data={value as Record<string, unknown>} />;
  if (typeof value === "boolean") return <>{value ? "yes" : "no"}</>;
  return <>{String(value)}</>;
}

function Details({ data }: { data: Record<string, unknown> }) {
  return (
    <dl className="details">
      {Object.entries(data).map(([k, v]) => (
        <div key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Value value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function AboutPage() {
  const { api } = useSession();
  const about = useLoad(() => api.about(), [api]);
  return (
    <>
      <PageHeading title="About" />
      <ErrorMessage>{about.error}</ErrorMessage>
      {about.loading && <p role="status">Loading…</p>}
      {about.data && (
        <section className="card">
          <Details data={about.data} />
        </section>
      )}
    </>
  );
}
