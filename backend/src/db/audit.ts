/**
 * The append-only audit log (table `audit_log`, migration 001). Rows can be added and read; the
 * database refuses UPDATE, DELETE and TRUNCATE.
 */
import { z } from "zod";
import type { Queryable } from "./transaction";

export const auditEntryInputSchema = z.object({
  actor: z.string().min(1).max(200),
  action: z
    .string()
    .max(200)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, { message: "must be dotted lower_snake words, e.g. registry.lock.submitted" }),
  subject: z.string().min(1).max(500),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEntryInput = z.input<typeof auditEntryInputSchema>;

export interface AuditEntry {
  readonly id: bigint;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: Record<string, unknown>;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

const toEntry = (row: AuditRow): AuditEntry => ({ ...row, id: BigInt(row.id) });

/**
 * Appends one entry; pass the transaction's client so the entry commits with the change it records.
 * `details` must be JSON-serializable (bigints: convert to strings first).
 */
export async function appendAuditEntry(db: Queryable, input: AuditEntryInput): Promise<AuditEntry> {
  const entry = auditEntryInputSchema.parse(input);
  const { rows } = await db.query<AuditRow>(
    `INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4::jsonb)
     RETURNING id::text AS id, at, actor, action, subject, details`,
    [entry.actor, entry.action, entry.subject, JSON.stringify(entry.details)],
  );
  return toEntry(rows[0]);
}

/** Entries about `subject`, oldest first. */
export async function auditEntriesFor(db: Queryable, subject: string, limit = 1000): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id::text AS id, at, actor, action, subject, details FROM audit_log
     WHERE subject = $1 ORDER BY audit_log.id LIMIT $2`,
    [subject, limit],
  );
  return rows.map(toEntry);
}
