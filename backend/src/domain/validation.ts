/** Turning zod issues into errors that name the offending field. */
import type { z } from "zod";

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * An object would be refused on-chain (or makes no sense): `field` is the first offending field,
 * named as the contract names it where it has a name for it (e.g. `InvalidBatchInfo("serialEnd")`).
 */
export class DomainValidationError extends Error {
  readonly shape: string;
  readonly field: string;
  readonly issues: readonly FieldIssue[];

  constructor(shape: string, issues: readonly FieldIssue[]) {
    super(`invalid ${shape}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
    this.name = "DomainValidationError";
    this.shape = shape;
    this.field = issues[0]?.field ?? "";
    this.issues = issues;
  }
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Parses `input` with `schema`, throwing {@link DomainValidationError} for `shape`. */
export function parseOrThrow<S extends z.ZodType>(shape: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new DomainValidationError(shape, fieldIssues(result.error));
  return result.data;
}
