/**
 * Applicants: what they declare when they apply, their persisted workflow state, and the one way
 * that state changes ({@link transitionApplicant}: checked against the state machine, recorded
 * with its reason in the append-only audit log in the same transaction).
 */
import { randomUUID } from "node:crypto";
import { getAddress, isAddress } from "viem";
import { z } from "zod";
import { appendAuditEntry, type Queryable } from "../../db";
import { parseIsoDate } from "../calendar-date";
import { resolveCountry } from "../countries";
import { validateLei } from "../documents";
import { normalizeName } from "../sanctions/normalize";
import { describeZodIssues, OnboardingError } from "./errors";
import { type ApplicantState, APPLICANT_STATES, canTransition } from "./states";

const countryCode = z
  .string()
  .trim()
  .min(1)
  .transform((value, ctx) => {
    const code = resolveCountry(value).code;
    if (code === null) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a recognised country (ISO 3166 code or English name)` });
      return z.NEVER;
    }
    return code;
  });

const personName = z.string().trim().max(200);

export const individualApplicationSchema = z.strictObject({
  kind: z.literal("individual"),
  surname: personName.min(1).refine((name) => normalizeName(name).tokens.length > 0, "must contain a letter"),
  givenNames: personName,
  birthDate: z.string().refine((value) => parseIsoDate(value) !== null, "must be a calendar date YYYY-MM-DD"),
  nationality: countryCode,
  documentNumber: z.string().trim().min(1).max(40).optional(),
});

export const organisationApplicationSchema = z.strictObject({
  kind: z.literal("organisation"),
  legalName: z.string().trim().min(1).max(300).refine((name) => normalizeName(name).tokens.length > 0, "must contain a letter or digit"),
  country: countryCode,
  lei: z.string().trim().transform((value, ctx) => {
    const result = validateLei(value);
    if (!result.valid) {
      ctx.addIssue({ code: "custom", message: `not a valid LEI: ${result.message}` });
      return z.NEVER;
    }
    return result.lei;
  }),
});

export const applicationSchema = z.discriminatedUnion("kind", [individualApplicationSchema, organisationApplicationSchema]);
export type ApplicationInput = z.input<typeof applicationSchema>;
export type Application = z.output<typeof applicationSchema>;

export interface Applicant {
  readonly id: string;
  readonly walletAddress: `0x${string}`;
  readonly kind: Application["kind"];
  readonly displayName: string;
  readonly country: string;
  readonly declared: Application;
  readonly state: ApplicantState;
  readonly stateReason: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface ApplicantRow {
  id: string;
  wallet_address: string;
  kind: Application["kind"];
  display_name: string;
  country: string;
  declared: Application;
  state: ApplicantState;
  state_reason: string;
  created_at: Date;
  updated_at: Date;
}

const APPLICANT_COLUMNS = "id, wallet_address, kind, display_name, country, declared, state, state_reason, created_at, updated_at";

function toApplicant(row: ApplicantRow): Applicant {
  return {
    id: row.id,
    walletAddress: getAddress(row.wallet_address),
    kind: row.kind,
    displayName: row.display_name,
    country: row.country,
    declared: row.declared,
    state: row.state,
    stateReason: row.state_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Validates an application; throws INVALID_INPUT naming every bad field. */
export function parseApplication(input: unknown): Application {
  const parsed = applicationSchema.safeParse(input);
  if (!parsed.success) throw new OnboardingError("INVALID_INPUT", `invalid application: ${describeZodIssues(parsed.error.issues)}`, parsed.error.issues);
  return parsed.data;
}

export function parseWallet(wallet: string): `0x${string}` {
  if (!isAddress(wallet, { strict: false })) throw new OnboardingError("INVALID_INPUT", `wallet ${JSON.stringify(wallet)} is not a 20-byte 0x address`);
  return getAddress(wallet);
}

/** The name screened against sanctions lists. */
export function screeningName(application: Application): string {
  return application.kind === "individual" ? `${application.givenNames} ${application.surname}`.trim() : application.legalName;
}

export const applicantSubject = (id: string): string => `applicant:${id}`;

/** Inserts a new applicant in state `applied` and audits it; one application per wallet. */
export async function insertApplicant(db: Queryable, wallet: `0x${string}`, application: Application, actor: string): Promise<Applicant> {
  const id = randomUUID();
  const country = application.kind === "individual" ? application.nationality : application.country;
  const reason = "application received";
  const { rows } = await db.query<ApplicantRow>(
    `INSERT INTO onboarding_applicants (id, wallet_address, kind, display_name, country, declared, state, state_reason)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'applied', $7)
     ON CONFLICT (wallet_address) DO NOTHING
     RETURNING ${APPLICANT_COLUMNS}`,
    [id, wallet.toLowerCase(), application.kind, screeningName(application), country, JSON.stringify(application), reason],
  );
  if (rows.length === 0) throw new OnboardingError("ALREADY_EXISTS", `wallet ${wallet} already has an application`);
  await appendAuditEntry(db, {
    actor,
    action: "onboarding.applicant.applied",
    subject: applicantSubject(id),
    details: { wallet: wallet.toLowerCase(), kind: application.kind, to: "applied", reason },
  });
  return toApplicant(rows[0]);
}

export async function findApplicant(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Applicant | undefined> {
  if (!/^[0-9a-f-]{36}$/u.test(id)) return undefined;
  const { rows } = await db.query<ApplicantRow>(
    `SELECT ${APPLICANT_COLUMNS} FROM onboarding_applicants WHERE id = $1${options.forUpdate === true ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0] === undefined ? undefined : toApplicant(rows[0]);
}

export async function getApplicant(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Applicant> {
  const applicant = await findApplicant(db, id, options);
  if (applicant === undefined) throw new OnboardingError("NOT_FOUND", `no applicant ${JSON.stringify(id)}`);
  return applicant;
}

export async function findApplicantByWallet(db: Queryable, wallet: string): Promise<Applicant | undefined> {
  const { rows } = await db.query<ApplicantRow>(`SELECT ${APPLICANT_COLUMNS} FROM onboarding_applicants WHERE wallet_address = $1`, [wallet.toLowerCase()]);
  return rows[0] === undefined ? undefined : toApplicant(rows[0]);
}

export async function listApplicants(db: Queryable, filter: { state?: ApplicantState; limit?: number } = {}): Promise<Applicant[]> {
  const { rows } = await db.query<ApplicantRow>(
    `SELECT ${APPLICANT_COLUMNS} FROM onboarding_applicants WHERE ($1::text IS NULL OR state = $1)
     ORDER BY created_at, id LIMIT $2`,
    [filter.state ?? null, filter.limit ?? 1000],
  );
  return rows.map(toApplicant);
}

export const applicantStateSchema = z.enum(APPLICANT_STATES);

/**
 * Moves an applicant (locked FOR UPDATE by the caller's transaction) to `to`, auditing the
 * transition and its reason. Refuses transitions the state machine does not allow.
 */
export async function transitionApplicant(
  db: Queryable,
  applicant: Applicant,
  to: ApplicantState,
  reason: string,
  actor: string,
  details: Record<string, unknown> = {},
): Promise<Applicant> {
  if (!canTransition(applicant.state, to)) {
    throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicant.id} is ${applicant.state}; it cannot become ${to}`);
  }
  const { rows } = await db.query<ApplicantRow>(
    `UPDATE onboarding_applicants SET state = $2, state_reason = $3, updated_at = now()
     WHERE id = $1 AND state = $4 RETURNING ${APPLICANT_COLUMNS}`,
    [applicant.id, to, reason, applicant.state],
  );
  if (rows.length === 0) throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicant.id} changed state concurrently; retry`);
  await appendAuditEntry(db, {
    actor,
    action: "onboarding.applicant.transition",
    subject: applicantSubject(applicant.id),
    details: { from: applicant.state, to, reason, ...details },
  });
  return toApplicant(rows[0]);
}
