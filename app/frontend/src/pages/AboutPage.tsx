// What this server runs: versions, the embedding model and the device it runs on.
import type { ReactNode } from "react";
import { ErrorMessage } from "../components/Alert";
import { PageHeading } from "../components/PageHeading";
import { useLoad } from "../hooks";
import { useSession } from "../session";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children ?? "–"}</dd>
    </div>
  );
}

export function AboutPage() {
  const { api } = useSession();
  const about = useLoad(() => api.about(), [api]);
  const a = about.data;
  return (
    <>
      <PageHeading title="About" />
      <ErrorMessage>{about.error}</ErrorMessage>
      {about.loading && <p role="status">Loading…</p>}
      {a && (
        <>
          <section className="card" aria-labelledby="about-model">
            <h2 id="about-model">Search engine</h2>
            <dl className="details">
              <Row label="Model">{a.model}</Row>
              <Row label="Dimensions">{a.dimension}</Row>
              <Row label="Device">{a.device}</Row>
              <Row label="Precision">{a.precision}</Row>
              <Row label="Vector service">
                <span className={a.vecpipe === "ok" ? "ok" : "bad"}>
                  {a.vecpipe === "ok" ? "reachable" : a.vecpipe}
                </span>
              </Row>
              <Row label="Documents root">
                <code>{a.documents_root}</code>
              </Row>
            </dl>
          </section>
          <section className="card" aria-labelledby="about-versions">
            <h2 id="about-versions">Versions</h2>
            <dl className="details">
              <Row label="Semantik">{a.version}</Row>
              <Row label="Python">{a.python}</Row>
              {Object.entries(a.components ?? {}).map(([name, version]) => (
                <Row key={name} label={name}>
                  {version}
                </Row>
              ))}
              <Row label="Web app">{__APP_VERSION__}</Row>
            </dl>
          </section>
        </>
      )}
    </>
  );
}
