import { PageHeading } from "../components/PageHeading";

export function NotFoundPage({ message }: { message?: string }) {
  return (
    <>
      <PageHeading title="Not found" />
      <p>{message ?? "There is no page at this address."}</p>
      <p>
        <a href="#/search">Go to search</a>
      </p>
    </>
  );
}
