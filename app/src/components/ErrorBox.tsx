import { humanError } from "../errors";

export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return <p className="error" role="alert">{humanError(error)}</p>;
}
