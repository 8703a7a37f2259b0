/**
 * The onboarding workflow service: applications, documents, screening, registry-account linkage,
 * compliance decisions, on-chain identity writes and re-screening on list updates. Every state
 * change commits in one transaction with its audit entries before the caller is answered; chain
 * writes are recorded (pending) in that transaction and sent after it commits, so a crash or an
 * unreachable chain leaves a pending write that {@link OnboardingService.retryChainWrites} completes.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Address } from "viem";
import { appendAuditEntry, auditEntriesFor, type AuditEntry, type Queryable, withTransaction } from "../../db";
import type { RegistryId } from "../../domain";
import { registryIdSchema } from "../../domain";
import type { RegistryAccountStatus } from "../../registry/api";
import type { CalendarDate } from "../calendar-date";
import { screen } from "../sanctions/match";
import type { MatchResult } from "../sanctions/match-result";
import type { SanctionsList } from "../sanctions/model";
import { type ScreeningQuery, type ScreeningResult } from "../sanctions/screening-options";
import type { FalsePositiveReview } from "../sanctions/suppression";
import type { ImportWarning } from "../sanctions";
import {
  type Applicant, applicantSubject, type Application, findApplicantByWallet, getApplicant, insertApplicant, listApplicants,
  parseApplication, parseWallet, transitionApplicant,
} from "./applicants";
import { checkDocument, documentContent, insertDocument, listDocuments, type StoredDocument } from "./documents";
import { OnboardingError } from "./errors";
import { describeChainError, type IdentityWriter } from "./identity-writer";
import { currentListVersions, insertListVersion, listVersions, type ListVersionSummary, ScreeningIndexCache } from "./sanctions-lists";
import type { ApplicantState } from "./states";

/** Reads a registry account's public view (the registry adapter's `getAccount`). */
export type RegistryAccountReader = (registry: RegistryId, accountId: string) => Promise<RegistryAccountStatus | null>;

/** Grants a platform role to a wallet, idempotently (the API's `grantRole`). */
export type RoleGranter = (pool: pg.Pool, address: `0x${string}`, role: "trader", grantedBy: string) => Promise<unknown>;

export interface OnboardingServiceDeps {
  readonly pool: pg.Pool;
  /** Writes identities on-chain; without it approvals and freezes stay pending. */
  readonly identity?: IdentityWriter;
  /** Reads registry accounts for linkage; without it linkage verification is unavailable. */
  readonly registryAccounts?: RegistryAccountReader;
  /** Grants the trader role on approval. */
  readonly grantRole?: RoleGranter;
  /** Revokes the trader role when an approved counterparty is rejected (a confirmed list-update hit). */
  readonly revokeRole?: RoleGranter;
  /** Minimum match score that sends an applicant to review (default 0.7). */
  readonly screeningThreshold?: number;
  readonly maxDocumentBytes?: number;
  /** KYC validity written on-chain when no document expires sooner (default 365 days). */
  readonly kycValidityDays?: number;
  readonly now?: () => Date;
}

export const SERVICE_ACTOR = "onboarding-service";

export interface RegistryLink {
  readonly registry: RegistryId;
  readonly accountId: string;
  readonly challenge: string;
  readonly status: "pending" | "verified";
  readonly createdAt: Date;
  readonly verifiedAt: Date | null;
}

export interface ScreeningRecord {
  readonly id: string;
  readonly trigger: "onboarding" | "list_update" | "manual";
  readonly listVersions: Record<string, string>;
  readonly threshold: number;
  readonly outcome: "clear" | "hit";
  readonly matches: readonly MatchResult[];
  readonly suppressed: readonly unknown[];
  readonly screenedAt: Date;
}

export interface ReviewCase {
  readonly id: string;
  readonly applicantId: string;
  readonly kind: "documents" | "screening" | "list_update";
  readonly screeningId: string | null;
  readonly summary: string;
  readonly status: "open" | "cleared" | "confirmed";
  readonly openedAt: Date;
  readonly resolvedBy: string | null;
  readonly resolutionReason: string | null;
  readonly resolvedAt: Date | null;
}

export interface ChainWrite {
  readonly id: string;
  readonly applicantId: string;
  readonly walletAddress: string;
  readonly action: "set_identity" | "freeze" | "unfreeze";
  readonly purpose: string;
  readonly reason: string;
  readonly status: "pending" | "sent" | "confirmed" | "failed";
  readonly txHash: string | null;
  readonly lastError: string | null;
}

export interface ApplicantDetails {
  readonly applicant: Applicant;
  readonly documents: readonly StoredDocument[];
  readonly registryLinks: readonly RegistryLink[];
  readonly screenings: readonly ScreeningRecord[];
  readonly cases: readonly ReviewCase[];
  readonly chainWrites: readonly ChainWrite[];
  readonly history: readonly AuditEntry[];
}

const CHALLENGE_PATTERN = /^carbonclear-[0-9a-f]{32}$/u;

function toCalendarDate(date: Date): CalendarDate {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function screeningQueryOf(application: Application): ScreeningQuery {
  return application.kind === "individual"
    ? { name: `${application.givenNames} ${application.surname}`.trim(), dob: application.birthDate, country: application.nationality, kind: "individual" }
    : { name: application.legalName, country: application.country, kind: "entity" };
}

function describeMatches(matches: readonly MatchResult[]): string {
  return matches
    .slice(0, 3)
    .map((m) => `${m.listId} entry ${m.entryId} "${m.matchedName.full}" score ${m.score.toFixed(2)}`)
    .join("; ");
}

export class OnboardingService {
  readonly #deps: OnboardingServiceDeps;
  readonly #indexCache = new ScreeningIndexCache();

  constructor(deps: OnboardingServiceDeps) {
    this.#deps = deps;
  }

  get threshold(): number {
    return this.#deps.screeningThreshold ?? 0.7;
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  #tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.#deps.pool, fn);
  }

  // ------------------------------------------------------------------ applications

  /** Files an application for `wallet` (one per wallet). */
  async apply(walletInput: string, input: unknown, actor: string): Promise<Applicant> {
    const wallet = parseWallet(walletInput);
    const application = parseApplication(input);
    return this.#tx((db) => insertApplicant(db, wallet, application, actor));
  }

  async applicant(id: string): Promise<Applicant> {
    return getApplicant(this.#deps.pool, id);
  }

  async applicantByWallet(wallet: string): Promise<Applicant | undefined> {
    return findApplicantByWallet(this.#deps.pool, wallet);
  }

  async list(filter: { state?: ApplicantState; limit?: number } = {}): Promise<Applicant[]> {
    return listApplicants(this.#deps.pool, filter);
  }

  async details(id: string): Promise<ApplicantDetails> {
    const db = this.#deps.pool;
    const applicant = await getApplicant(db, id);
    return {
      applicant,
      documents: await listDocuments(db, id),
      registryLinks: await this.#links(db, id),
      screenings: await this.#screenings(db, id),
      cases: await this.cases({ applicantId: id }),
      chainWrites: await this.#chainWrites(db, id),
      history: await auditEntriesFor(db, applicantSubject(id)),
    };
  }

  async documentFile(applicantId: string, documentId: string): Promise<{ mimeType: string; content: Buffer }> {
    const file = await documentContent(this.#deps.pool, applicantId, documentId);
    if (file === undefined) throw new OnboardingError("NOT_FOUND", `applicant ${applicantId} has no document ${JSON.stringify(documentId)}`);
    return file;
  }

  // ------------------------------------------------------------------ documents

  /** Checks and stores a document; only while the application is `applied`. */
  async uploadDocument(applicantId: string, metadata: unknown, content: Uint8Array, actor: string): Promise<StoredDocument> {
    const applicant = await getApplicant(this.#deps.pool, applicantId);
    const checked = checkDocument(applicant, metadata, content, { today: toCalendarDate(this.#now()), maxBytes: this.#deps.maxDocumentBytes });
    return this.#tx(async (db) => {
      const locked = await getApplicant(db, applicantId, { forUpdate: true });
      if (locked.state !== "applied") {
        throw new OnboardingError("ILLEGAL_TRANSITION", `documents are uploaded while the application is applied; it is ${locked.state}`);
      }
      const document = await insertDocument(db, applicantId, checked, content);
      await appendAuditEntry(db, {
        actor,
        action: "onboarding.document.uploaded",
        subject: applicantSubject(applicantId),
        details: { documentId: document.id, type: document.type, sha256: document.sha256, bytes: document.sizeBytes, passed: document.passed },
      });
      return document;
    });
  }

  /**
   * Submits the uploaded documents and verifies them: documents_submitted, then documents_verified
   * when the newest document of the required type passed every check, needs_manual_review (with a
   * case naming the failed checks) otherwise. Then screens, when a list is available.
   */
  async submitDocuments(applicantId: string, actor: string): Promise<Applicant> {
    await this.#tx(async (db) => {
      const applicant = await getApplicant(db, applicantId, { forUpdate: true });
      const documents = await listDocuments(db, applicantId);
      const required = applicant.kind === "individual" ? ["passport", "national_id"] : ["lei_certificate"];
      const relevant = documents.filter((d) => required.includes(d.type));
      if (applicant.state !== "applied") {
        throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} is ${applicant.state}; documents can only be submitted from applied`);
      }
      if (relevant.length === 0) {
        throw new OnboardingError("INVALID_INPUT", `upload a ${required.join(" or ")} before submitting`);
      }
      const submitted = await transitionApplicant(db, applicant, "documents_submitted", `${documents.length} document(s) submitted`, actor, {
        documents: documents.map((d) => d.id),
      });
      const newest = relevant[relevant.length - 1];
      const failed = newest.checks.filter((check) => !check.passed);
      if (failed.length === 0) {
        await transitionApplicant(db, submitted, "documents_verified", `${newest.type} ${newest.id} passed ${newest.checks.length} checks`, SERVICE_ACTOR, {
          documentId: newest.id,
        });
      } else {
        const summary = `${newest.type} ${newest.id} failed: ${failed.map((c) => `${c.check} (${c.reason})`).join("; ")}`;
        await this.#openCase(db, submitted, "documents", null, summary, SERVICE_ACTOR);
      }
    });
    return this.#advance(applicantId);
  }

  // ------------------------------------------------------------------ screening

  /** Screens a name against the current lists (no applicant, nothing stored). */
  async search(query: ScreeningQuery, options: { limit?: number; threshold?: number } = {}): Promise<ScreeningResult & { listVersions: Record<string, string> }> {
    const current = await this.#indexCache.current(this.#deps.pool);
    if (current === undefined) throw new OnboardingError("NO_SANCTIONS_LIST", "no sanctions list has been imported yet");
    const result = screen(query, current.index, { threshold: options.threshold ?? this.threshold, limit: options.limit ?? 10 });
    return { ...result, listVersions: current.versions };
  }

  /** Screens an applicant in documents_verified: screened (then registry_linked if linked) or needs_manual_review. */
  async screenApplicant(applicantId: string, actor: string): Promise<Applicant> {
    const applicant = await getApplicant(this.#deps.pool, applicantId);
    if (applicant.state !== "documents_verified") {
      throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} is ${applicant.state}; screening runs on documents_verified`);
    }
    const outcome = await this.#runScreening(applicant);
    await this.#tx(async (db) => {
      const locked = await getApplicant(db, applicantId, { forUpdate: true });
      if (locked.state !== "documents_verified") throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} changed state to ${locked.state}; retry`);
      const screeningId = await this.#recordScreening(db, applicantId, "onboarding", outcome);
      if (outcome.result.matches.length === 0) {
        const cleared = outcome.result.suppressed.length === 0 ? "" : ` (${outcome.result.suppressed.length} reviewed false positive(s) suppressed)`;
        await transitionApplicant(db, locked, "screened", `no sanctions match at or above ${this.threshold}${cleared}`, actor, { screeningId });
      } else {
        const summary = `possible sanctions match: ${describeMatches(outcome.result.matches)}`;
        await this.#openCase(db, locked, "screening", screeningId, summary, actor);
      }
    });
    return this.#advance(applicantId);
  }

  async #runScreening(applicant: Applicant): Promise<{ result: ScreeningResult; versions: Record<string, string>; query: ScreeningQuery }> {
    const current = await this.#indexCache.current(this.#deps.pool);
    if (current === undefined) throw new OnboardingError("NO_SANCTIONS_LIST", "no sanctions list has been imported yet; import one before screening");
    const reviews = await this.#suppressions(this.#deps.pool, applicant.id);
    const query = screeningQueryOf(applicant.declared);
    const result = screen(query, current.index, {
      threshold: this.threshold,
      limit: 20,
      suppression: { subjectKey: applicant.id, reviews },
    });
    return { result, versions: current.versions, query };
  }

  async #recordScreening(
    db: Queryable,
    applicantId: string,
    trigger: ScreeningRecord["trigger"],
    outcome: { result: ScreeningResult; versions: Record<string, string>; query: ScreeningQuery },
    rescreenRunId: string | null = null,
  ): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO onboarding_screenings (applicant_id, trigger, list_versions, threshold, query, outcome, matches, suppressed, rescreen_run_id)
       VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7::jsonb, $8::jsonb, $9) RETURNING id::text AS id`,
      [
        applicantId,
        trigger,
        JSON.stringify(outcome.versions),
        this.threshold,
        JSON.stringify(outcome.query),
        outcome.result.matches.length === 0 ? "clear" : "hit",
        JSON.stringify(outcome.result.matches),
        JSON.stringify(outcome.result.suppressed),
        rescreenRunId,
      ],
    );
    await appendAuditEntry(db, {
      actor: SERVICE_ACTOR,
      action: "onboarding.screening.completed",
      subject: applicantSubject(applicantId),
      details: {
        screeningId: rows[0].id,
        trigger,
        listVersions: outcome.versions,
        matches: outcome.result.matches.map((m) => ({ listId: m.listId, entryId: m.entryId, score: m.score })),
        suppressed: outcome.result.suppressed.length,
      },
    });
    return rows[0].id;
  }

  async #suppressions(db: Queryable, applicantId: string): Promise<FalsePositiveReview[]> {
    const { rows } = await db.query<{ list_id: string; list_version: string; entry_id: string; reviewed_by: string; reviewed_at: Date; reason: string }>(
      "SELECT list_id, list_version, entry_id, reviewed_by, reviewed_at, reason FROM sanctions_suppressions WHERE applicant_id = $1",
      [applicantId],
    );
    return rows.map((row) => ({
      listId: row.list_id,
      listVersion: row.list_version,
      entryId: row.entry_id,
      subjectKey: applicantId,
      reviewedBy: row.reviewed_by,
      reviewedAt: row.reviewed_at.toISOString(),
      reason: row.reason,
    }));
  }

  // ------------------------------------------------------------------ sanctions lists

  async listVersions(): Promise<ListVersionSummary[]> {
    return listVersions(this.#deps.pool);
  }

  /**
   * Stores an imported list as a new version and, when it is new, re-screens every approved
   * counterparty against the current lists: a new hit freezes the wallet on-chain and opens a case.
   * The re-screening run is recorded in the same transaction as the list version, so a crash
   * part-way through loses nothing ({@link resumeRescreens} finishes it).
   */
  async importList(
    list: SanctionsList,
    warnings: readonly ImportWarning[],
    actor: string,
  ): Promise<{ created: boolean; previousVersion: string | null; rescreenRunId: string | null; rescreened: number; newHits: string[] }> {
    const stored = await this.#tx(async (db) => {
      const result = await insertListVersion(db, list, warnings, actor);
      if (!result.created) return { ...result, rescreenRunId: null };
      const rescreenRunId = await this.#createRescreenRun(db, list.listId, list.listVersion, actor);
      await appendAuditEntry(db, {
        actor,
        action: "onboarding.sanctions_list.imported",
        subject: `sanctions-list:${list.listId}`,
        details: { listVersion: list.listVersion, previousVersion: result.previousVersion, format: list.format, entries: list.entries.length, warnings: warnings.length, rescreenRunId },
      });
      return { ...result, rescreenRunId };
    });
    if (stored.rescreenRunId === null) return { ...stored, rescreened: 0, newHits: [] };
    return { ...stored, ...(await this.#runRescreen(stored.rescreenRunId, actor)) };
  }

  /** Re-screens every approved counterparty against the current lists now (a run of its own). */
  async rescreenApproved(actor: string): Promise<{ rescreenRunId: string; rescreened: number; newHits: string[] }> {
    const rescreenRunId = await this.#tx((db) => this.#createRescreenRun(db, "*", "current", actor));
    return { rescreenRunId, ...(await this.#runRescreen(rescreenRunId, actor)) };
  }

  /** Finishes every re-screening run a crash or restart interrupted, oldest first. */
  async resumeRescreens(actor: string): Promise<{ rescreenRunId: string; rescreened: number; newHits: string[] }[]> {
    const { rows } = await this.#deps.pool.query<{ id: string }>(
      "SELECT id::text AS id FROM onboarding_rescreen_runs WHERE completed_at IS NULL ORDER BY id",
    );
    const finished = [];
    for (const { id } of rows) finished.push({ rescreenRunId: id, ...(await this.#runRescreen(id, actor)) });
    return finished;
  }

  async #createRescreenRun(db: Queryable, listId: string, listVersion: string, actor: string): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      "INSERT INTO onboarding_rescreen_runs (list_id, list_version, requested_by) VALUES ($1, $2, $3) RETURNING id::text AS id",
      [listId, listVersion, actor],
    );
    return rows[0].id;
  }

  /**
   * Screens every approved counterparty the run has not screened yet (each in its own transaction,
   * recorded with the run), then marks the run complete with its totals.
   */
  async #runRescreen(runId: string, actor: string): Promise<{ rescreened: number; newHits: string[] }> {
    const approved = await listApplicants(this.#deps.pool, { state: "approved", limit: 1_000_000 });
    // A resumed run skips the counterparties it screened before the interruption (rechecked under the row lock below).
    const { rows: screened } = await this.#deps.pool.query<{ applicant_id: string }>(
      "SELECT applicant_id FROM onboarding_screenings WHERE rescreen_run_id = $1",
      [runId],
    );
    const alreadyScreened = new Set(screened.map((row) => row.applicant_id));
    const writes: string[] = [];
    for (const applicant of approved) {
      if (alreadyScreened.has(applicant.id)) continue;
      const outcome = await this.#runScreening(applicant);
      await this.#tx(async (db) => {
        const locked = await getApplicant(db, applicant.id, { forUpdate: true });
        if (locked.state !== "approved") return;
        const done = await db.query("SELECT 1 FROM onboarding_screenings WHERE rescreen_run_id = $1 AND applicant_id = $2", [runId, applicant.id]);
        if (done.rowCount !== 0) return;
        const screeningId = await this.#recordScreening(db, applicant.id, "list_update", outcome, runId);
        if (outcome.result.matches.length === 0) return;
        const summary = `list update: new possible sanctions match: ${describeMatches(outcome.result.matches)}`;
        const caseId = await this.#openCase(db, locked, "list_update", screeningId, summary, actor);
        writes.push(await this.#recordChainWrite(db, locked, "freeze", `case:${caseId}`, `sanctions review case ${caseId}`, {}));
      });
    }
    const { rows } = await this.#deps.pool.query<{ rescreened: number; new_hits: string[] }>(
      `WITH screened AS (
         SELECT applicant_id, outcome FROM onboarding_screenings WHERE rescreen_run_id = $1)
       UPDATE onboarding_rescreen_runs SET completed_at = COALESCE(completed_at, now()),
         rescreened = (SELECT count(*) FROM screened),
         new_hits = COALESCE((SELECT jsonb_agg(applicant_id ORDER BY applicant_id) FROM screened WHERE outcome = 'hit'), '[]'::jsonb)
       WHERE id = $1
       RETURNING rescreened, new_hits`,
      [runId],
    );
    for (const id of writes) await this.executeChainWrite(id);
    return { rescreened: rows[0].rescreened, newHits: rows[0].new_hits };
  }

  // ------------------------------------------------------------------ registry linkage

  /**
   * Issues (or repeats) the challenge code the applicant must show in the public note of their
   * registry account to prove they control it.
   */
  async registryChallenge(applicantId: string, registryInput: string, accountIdInput: string, actor: string): Promise<RegistryLink> {
    const { registry, accountId } = parseAccountRef(registryInput, accountIdInput);
    return this.#tx(async (db) => {
      const applicant = await getApplicant(db, applicantId, { forUpdate: true });
      if (applicant.state === "approved" || applicant.state === "rejected") {
        throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} is ${applicant.state}; registry accounts are linked during onboarding`);
      }
      const challenge = `carbonclear-${randomBytes(16).toString("hex")}`;
      const { rows } = await db.query<LinkRow>(
        `INSERT INTO onboarding_registry_links (applicant_id, registry, account_id, challenge, status)
         VALUES ($1, $2, $3, $4, 'pending')
         ON CONFLICT (applicant_id, registry, account_id) DO UPDATE SET challenge = onboarding_registry_links.challenge
         RETURNING ${LINK_COLUMNS}`,
        [applicantId, registry, accountId, challenge],
      );
      await appendAuditEntry(db, {
        actor,
        action: "onboarding.registry_link.challenged",
        subject: applicantSubject(applicantId),
        details: { registry, accountId },
      });
      return toLink(rows[0]);
    });
  }

  /**
   * Reads the registry account through the registry adapter; when its public note shows the
   * challenge, the link is verified (and a screened applicant becomes registry_linked).
   */
  async verifyRegistryAccount(applicantId: string, registryInput: string, accountIdInput: string, actor: string): Promise<RegistryLink> {
    const { registry, accountId } = parseAccountRef(registryInput, accountIdInput);
    const link = (await this.#links(this.#deps.pool, applicantId)).find((l) => l.registry === registry && l.accountId === accountId);
    if (link === undefined) throw new OnboardingError("CHALLENGE_NOT_FOUND", `no challenge was issued for ${registry} account ${accountId}; request one first`);
    if (link.status === "verified") return link;
    const reader = this.#deps.registryAccounts;
    if (reader === undefined) throw new OnboardingError("REGISTRY_ACCOUNT_UNAVAILABLE", "no registry connection is configured (REGISTRY_SIM_URL)");
    let account: RegistryAccountStatus | null;
    try {
      account = await reader(registry, accountId);
    } catch (error) {
      throw new OnboardingError("REGISTRY_ACCOUNT_UNAVAILABLE", `the ${registry} registry could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (account === null) throw new OnboardingError("REGISTRY_ACCOUNT_UNAVAILABLE", `the ${registry} registry has no account ${accountId}`);
    if (account.closed) throw new OnboardingError("REGISTRY_ACCOUNT_UNAVAILABLE", `${registry} account ${accountId} is closed`);
    if (!account.note.includes(link.challenge)) {
      throw new OnboardingError("CHALLENGE_NOT_SHOWN", `${registry} account ${accountId} does not show the challenge code in its public note yet`);
    }
    const verified = await this.#tx(async (db) => {
      const applicant = await getApplicant(db, applicantId, { forUpdate: true });
      if (applicant.state === "approved" || applicant.state === "rejected") {
        throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} is ${applicant.state}`);
      }
      const taken = await db.query(
        "SELECT 1 FROM onboarding_registry_links WHERE registry = $1 AND account_id = $2 AND status = 'verified' AND applicant_id <> $3",
        [registry, accountId, applicantId],
      );
      if (taken.rows.length > 0) throw new OnboardingError("REGISTRY_ACCOUNT_TAKEN", `${registry} account ${accountId} is already linked to another applicant`);
      const { rows } = await db.query<LinkRow>(
        `UPDATE onboarding_registry_links SET status = 'verified', verified_at = now()
         WHERE applicant_id = $1 AND registry = $2 AND account_id = $3 RETURNING ${LINK_COLUMNS}`,
        [applicantId, registry, accountId],
      );
      await appendAuditEntry(db, {
        actor,
        action: "onboarding.registry_link.verified",
        subject: applicantSubject(applicantId),
        details: { registry, accountId, accountName: account.name, accountCountry: account.country },
      });
      return toLink(rows[0]);
    });
    await this.#advance(applicantId);
    return verified;
  }

  // ------------------------------------------------------------------ compliance decisions

  /**
   * Approves a registry_linked applicant: approved, trader role granted and the identity write
   * recorded in one transaction; then the identity is written on-chain.
   */
  async approve(applicantId: string, officer: string, reason: string): Promise<{ applicant: Applicant; chainWrite: ChainWrite }> {
    const trimmed = requireReason(reason);
    const writeId = await this.#tx(async (db) => {
      const applicant = await getApplicant(db, applicantId, { forUpdate: true });
      if (applicant.state !== "registry_linked") {
        throw new OnboardingError("ILLEGAL_TRANSITION", `applicant ${applicantId} is ${applicant.state}; only registry_linked applicants can be approved`);
      }
      const approved = await transitionApplicant(db, applicant, "approved", trimmed, officer);
      const links = (await this.#links(db, applicantId)).filter((l) => l.status === "verified");
      const payload = {
        kind: approved.kind,
        country: approved.country,
        kycExpiry: String(await this.#kycExpiry(db, applicantId)),
        registryAccounts: links.map((l) => `${l.registry}:${l.accountId}`),
      };
      return this.#recordChainWrite(db, approved, "set_identity", "approval", trimmed, payload);
    });
    // The role grant is idempotent and has its own transaction (on embedded PGlite one connection
    // cannot hold two); retryChainWrites grants it again if this process stops in between.
    await this.#grantTrader(applicantId, officer);
    const chainWrite = await this.executeChainWrite(writeId);
    return { applicant: await getApplicant(this.#deps.pool, applicantId), chainWrite };
  }

  /** Rejects an applicant in any state before approval; an open case is closed as confirmed. */
  async reject(applicantId: string, officer: string, reason: string): Promise<Applicant> {
    const trimmed = requireReason(reason);
    return this.#tx(async (db) => {
      const applicant = await getApplicant(db, applicantId, { forUpdate: true });
      await db.query(
        `UPDATE onboarding_review_cases SET status = 'confirmed', resolved_by = $2, resolution_reason = $3, resolved_at = now()
         WHERE applicant_id = $1 AND status = 'open'`,
        [applicantId, officer, trimmed],
      );
      return transitionApplicant(db, applicant, "rejected", trimmed, officer);
    });
  }

  async cases(filter: { status?: ReviewCase["status"]; applicantId?: string } = {}): Promise<ReviewCase[]> {
    const { rows } = await this.#deps.pool.query<CaseRow>(
      `SELECT ${CASE_COLUMNS} FROM onboarding_review_cases
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR applicant_id = $2) ORDER BY id`,
      [filter.status ?? null, filter.applicantId ?? null],
    );
    return rows.map(toCase);
  }

  /**
   * Resolves an open case. `clear`: the documents are accepted / the matches are false positives
   * (suppressed for the list versions they were found on; a frozen wallet is unfrozen) and the
   * workflow moves on. `confirm`: the applicant is rejected (a frozen wallet stays frozen).
   */
  async resolveCase(caseIdInput: string, decision: "clear" | "confirm", officer: string, reason: string): Promise<{ case: ReviewCase; applicant: Applicant }> {
    const trimmed = requireReason(reason);
    if (!/^\d{1,18}$/u.test(caseIdInput)) throw new OnboardingError("NOT_FOUND", `no review case ${JSON.stringify(caseIdInput)}`);
    let unfreezeWrite: string | undefined;
    const resolved = await this.#tx(async (db) => {
      const { rows } = await db.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM onboarding_review_cases WHERE id = $1 FOR UPDATE`, [caseIdInput]);
      if (rows.length === 0) throw new OnboardingError("NOT_FOUND", `no review case ${caseIdInput}`);
      const reviewCase = toCase(rows[0]);
      if (reviewCase.status !== "open") throw new OnboardingError("CASE_NOT_OPEN", `review case ${caseIdInput} is already ${reviewCase.status}`);
      const applicant = await getApplicant(db, reviewCase.applicantId, { forUpdate: true });
      const status = decision === "clear" ? "cleared" : "confirmed";
      const updated = await db.query<CaseRow>(
        `UPDATE onboarding_review_cases SET status = $2, resolved_by = $3, resolution_reason = $4, resolved_at = now()
         WHERE id = $1 RETURNING ${CASE_COLUMNS}`,
        [caseIdInput, status, officer, trimmed],
      );
      await appendAuditEntry(db, {
        actor: officer,
        action: "onboarding.case.resolved",
        subject: applicantSubject(applicant.id),
        details: { caseId: reviewCase.id, kind: reviewCase.kind, decision, reason: trimmed },
      });
      if (decision === "confirm") {
        const rejected = await transitionApplicant(db, applicant, "rejected", `review case ${reviewCase.id} confirmed: ${trimmed}`, officer, { caseId: reviewCase.id });
        return { case: toCase(updated.rows[0]), applicant: rejected };
      }
      if (reviewCase.screeningId !== null) await this.#suppressScreening(db, reviewCase, officer, trimmed);
      const next: ApplicantState = reviewCase.kind === "documents" ? "documents_verified" : reviewCase.kind === "screening" ? "screened" : "approved";
      const moved = await transitionApplicant(db, applicant, next, `review case ${reviewCase.id} cleared: ${trimmed}`, officer, { caseId: reviewCase.id });
      if (reviewCase.kind === "list_update") {
        unfreezeWrite = await this.#recordChainWrite(db, moved, "unfreeze", `case:${reviewCase.id}`, `review case ${reviewCase.id} cleared`, {});
      }
      return { case: toCase(updated.rows[0]), applicant: moved };
    });
    if (unfreezeWrite !== undefined) await this.executeChainWrite(unfreezeWrite);
    if (decision === "confirm" && resolved.case.kind === "list_update" && this.#deps.revokeRole !== undefined) {
      // The wallet stays frozen on-chain; the API stops treating it as a trader.
      await this.#deps.revokeRole(this.#deps.pool, resolved.applicant.walletAddress, "trader", officer);
    }
    if (decision === "clear" && resolved.applicant.state !== "approved") return { ...resolved, applicant: await this.#advance(resolved.applicant.id) };
    return resolved;
  }

  async #suppressScreening(db: Queryable, reviewCase: ReviewCase, officer: string, reason: string): Promise<void> {
    const { rows } = await db.query<{ matches: MatchResult[] }>("SELECT matches FROM onboarding_screenings WHERE id = $1", [reviewCase.screeningId]);
    for (const match of rows[0]?.matches ?? []) {
      await db.query(
        `INSERT INTO sanctions_suppressions (list_id, list_version, entry_id, applicant_id, review_case_id, reviewed_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [match.listId, match.listVersion, match.entryId, reviewCase.applicantId, reviewCase.id, officer, reason],
      );
    }
  }

  async #openCase(db: Queryable, applicant: Applicant, kind: ReviewCase["kind"], screeningId: string | null, summary: string, actor: string): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO onboarding_review_cases (applicant_id, kind, screening_id, summary, status) VALUES ($1, $2, $3, $4, 'open') RETURNING id::text AS id`,
      [applicant.id, kind, screeningId, summary],
    );
    await transitionApplicant(db, applicant, "needs_manual_review", summary, actor, { caseId: rows[0].id, caseKind: kind });
    return rows[0].id;
  }

  // ------------------------------------------------------------------ automatic progress

  /** Runs the automatic steps: screening when documents are verified and a list exists; linkage when screened. */
  async #advance(applicantId: string): Promise<Applicant> {
    let applicant = await getApplicant(this.#deps.pool, applicantId);
    if (applicant.state === "documents_verified" && Object.keys(await currentListVersions(this.#deps.pool)).length > 0) {
      applicant = await this.screenApplicant(applicantId, SERVICE_ACTOR);
    }
    if (applicant.state === "screened") {
      applicant = await this.#tx(async (db) => {
        const locked = await getApplicant(db, applicantId, { forUpdate: true });
        if (locked.state !== "screened") return locked;
        const verified = (await this.#links(db, applicantId)).filter((l) => l.status === "verified");
        if (verified.length === 0) return locked;
        return transitionApplicant(
          db,
          locked,
          "registry_linked",
          `control of ${verified.map((l) => `${l.registry} account ${l.accountId}`).join(", ")} proven by challenge`,
          SERVICE_ACTOR,
        );
      });
    }
    return applicant;
  }

  // ------------------------------------------------------------------ chain writes

  async #kycExpiry(db: Queryable, applicantId: string): Promise<bigint> {
    const validity = BigInt(this.#deps.kycValidityDays ?? 365) * 86_400n;
    const nowSeconds = BigInt(Math.floor(this.#now().getTime() / 1000));
    const { rows } = await db.query<{ expires: string | null }>(
      "SELECT to_char(min(expires_on), 'YYYY-MM-DD') AS expires FROM onboarding_documents WHERE applicant_id = $1 AND passed AND expires_on IS NOT NULL",
      [applicantId],
    );
    const fromDocument = rows[0]?.expires == null ? undefined : BigInt(Date.parse(`${rows[0].expires}T00:00:00Z`) / 1000);
    const fromPolicy = nowSeconds + validity;
    return fromDocument !== undefined && fromDocument < fromPolicy ? fromDocument : fromPolicy;
  }

  async #recordChainWrite(db: Queryable, applicant: Applicant, action: ChainWrite["action"], purpose: string, reason: string, payload: Record<string, unknown>): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO onboarding_chain_writes (applicant_id, wallet_address, action, purpose, reason, payload, status)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'pending')
       ON CONFLICT (applicant_id, action, purpose) DO UPDATE SET updated_at = now()
       RETURNING id::text AS id`,
      [applicant.id, applicant.walletAddress.toLowerCase(), action, purpose, reason, JSON.stringify(payload)],
    );
    await appendAuditEntry(db, {
      actor: SERVICE_ACTOR,
      action: `onboarding.chain.${action}.recorded`,
      subject: applicantSubject(applicant.id),
      details: { chainWriteId: rows[0].id, wallet: applicant.walletAddress.toLowerCase(), purpose, reason },
    });
    return rows[0].id;
  }

  /**
   * Sends a recorded chain write and waits for it; idempotent (a confirmed write is returned as
   * is; freeze/unfreeze check the chain first). Failures are kept on the row for a retry.
   */
  async executeChainWrite(id: string): Promise<ChainWrite> {
    const db = this.#deps.pool;
    const write = await this.#chainWrite(db, id);
    if (write.status === "confirmed") return write;
    const identity = this.#deps.identity;
    if (identity === undefined) {
      await db.query("UPDATE onboarding_chain_writes SET last_error = $2, updated_at = now() WHERE id = $1", [id, "no chain connection or COMPLIANCE_KEY configured"]);
      return this.#chainWrite(db, id);
    }
    const wallet = write.walletAddress as Address;
    const onSent = async (hash: string) => {
      await db.query("UPDATE onboarding_chain_writes SET status = 'sent', tx_hash = $2, updated_at = now() WHERE id = $1", [id, hash]);
    };
    try {
      let hash: string | null;
      if (write.action === "set_identity") {
        const payload = write.payload as { kind: "individual" | "organisation"; country: string; kycExpiry: string; registryAccounts: string[] };
        hash = await identity.setVerifiedIdentity(wallet, { ...payload, kycExpiry: BigInt(payload.kycExpiry) }, onSent);
      } else if (write.action === "freeze") {
        hash = await identity.freeze(wallet, write.reason, onSent);
      } else {
        hash = await identity.unfreeze(wallet, write.reason, onSent);
      }
      await withTransaction(db, async (client) => {
        await client.query(
          "UPDATE onboarding_chain_writes SET status = 'confirmed', tx_hash = COALESCE($2, tx_hash), last_error = NULL, updated_at = now() WHERE id = $1",
          [id, hash],
        );
        await appendAuditEntry(client, {
          actor: SERVICE_ACTOR,
          action: `onboarding.chain.${write.action}.confirmed`,
          subject: applicantSubject(write.applicantId),
          details: { chainWriteId: id, wallet: write.walletAddress, txHash: hash, note: hash === null ? "already in the desired state on-chain" : undefined },
        });
      });
    } catch (error) {
      await db.query("UPDATE onboarding_chain_writes SET last_error = $2, updated_at = now() WHERE id = $1", [id, describeChainError(error).slice(0, 1000)]);
    }
    return this.#chainWrite(db, id);
  }

  async #grantTrader(applicantId: string, grantedBy: string): Promise<void> {
    if (this.#deps.grantRole === undefined) return;
    const applicant = await getApplicant(this.#deps.pool, applicantId);
    if (applicant.state === "approved") await this.#deps.grantRole(this.#deps.pool, applicant.walletAddress, "trader", grantedBy);
  }

  /** Sends every chain write not yet confirmed (after a crash or an outage), and re-grants the trader role of approvals. */
  async retryChainWrites(): Promise<ChainWrite[]> {
    const approvals = await this.#deps.pool.query<{ applicant_id: string }>("SELECT applicant_id FROM onboarding_chain_writes WHERE action = 'set_identity'");
    for (const { applicant_id } of approvals.rows) await this.#grantTrader(applicant_id, SERVICE_ACTOR);
    const { rows } = await this.#deps.pool.query<{ id: string }>("SELECT id::text AS id FROM onboarding_chain_writes WHERE status <> 'confirmed' ORDER BY id");
    const results: ChainWrite[] = [];
    for (const { id } of rows) results.push(await this.executeChainWrite(id));
    return results;
  }

  async #chainWrite(db: Queryable, id: string): Promise<ChainWrite & { payload: unknown }> {
    const { rows } = await db.query<ChainWriteRow>(`SELECT ${CHAIN_WRITE_COLUMNS} FROM onboarding_chain_writes WHERE id = $1`, [id]);
    return toChainWrite(rows[0]);
  }

  async #chainWrites(db: Queryable, applicantId: string): Promise<ChainWrite[]> {
    const { rows } = await db.query<ChainWriteRow>(`SELECT ${CHAIN_WRITE_COLUMNS} FROM onboarding_chain_writes WHERE applicant_id = $1 ORDER BY id`, [applicantId]);
    return rows.map(toChainWrite);
  }

  async #links(db: Queryable, applicantId: string): Promise<RegistryLink[]> {
    const { rows } = await db.query<LinkRow>(`SELECT ${LINK_COLUMNS} FROM onboarding_registry_links WHERE applicant_id = $1 ORDER BY created_at, registry, account_id`, [applicantId]);
    return rows.map(toLink);
  }

  async #screenings(db: Queryable, applicantId: string): Promise<ScreeningRecord[]> {
    const { rows } = await db.query<{
      id: string; trigger: ScreeningRecord["trigger"]; list_versions: Record<string, string>; threshold: number;
      outcome: "clear" | "hit"; matches: MatchResult[]; suppressed: unknown[]; screened_at: Date;
    }>(
      `SELECT id::text AS id, trigger, list_versions, threshold, outcome, matches, suppressed, screened_at
       FROM onboarding_screenings WHERE applicant_id = $1 ORDER BY id`,
      [applicantId],
    );
    return rows.map((row) => ({
      id: row.id, trigger: row.trigger, listVersions: row.list_versions, threshold: row.threshold, outcome: row.outcome,
      matches: row.matches, suppressed: row.suppressed, screenedAt: row.screened_at,
    }));
  }
}

function requireReason(reason: unknown): string {
  if (typeof reason !== "string" || reason.trim() === "") throw new OnboardingError("INVALID_INPUT", "a decision needs a non-empty reason");
  if (reason.length > 2000) throw new OnboardingError("INVALID_INPUT", "the reason is longer than 2000 characters");
  return reason.trim();
}

function parseAccountRef(registryInput: string, accountIdInput: string): { registry: RegistryId; accountId: string } {
  const registry = registryIdSchema.safeParse(String(registryInput).toUpperCase());
  if (!registry.success) throw new OnboardingError("INVALID_INPUT", `registry ${JSON.stringify(registryInput)} is not one of VERRA, GOLD_STANDARD, CCTS`);
  const accountId = String(accountIdInput).trim();
  if (accountId === "" || accountId.length > 128) throw new OnboardingError("INVALID_INPUT", "accountId must be 1 to 128 characters");
  return { registry: registry.data, accountId };
}

interface LinkRow { registry: RegistryId; account_id: string; challenge: string; status: "pending" | "verified"; created_at: Date; verified_at: Date | null }
const LINK_COLUMNS = "registry, account_id, challenge, status, created_at, verified_at";
const toLink = (row: LinkRow): RegistryLink => {
  if (!CHALLENGE_PATTERN.test(row.challenge)) throw new Error(`stored challenge of ${row.registry}:${row.account_id} is malformed`);
  return { registry: row.registry, accountId: row.account_id, challenge: row.challenge, status: row.status, createdAt: row.created_at, verifiedAt: row.verified_at };
};

interface CaseRow {
  id: string; applicant_id: string; kind: ReviewCase["kind"]; screening_id: string | null; summary: string; status: ReviewCase["status"];
  opened_at: Date; resolved_by: string | null; resolution_reason: string | null; resolved_at: Date | null;
}
const CASE_COLUMNS = "id::text AS id, applicant_id, kind, screening_id::text AS screening_id, summary, status, opened_at, resolved_by, resolution_reason, resolved_at";
const toCase = (row: CaseRow): ReviewCase => ({
  id: row.id, applicantId: row.applicant_id, kind: row.kind, screeningId: row.screening_id, summary: row.summary, status: row.status,
  openedAt: row.opened_at, resolvedBy: row.resolved_by, resolutionReason: row.resolution_reason, resolvedAt: row.resolved_at,
});

interface ChainWriteRow {
  id: string; applicant_id: string; wallet_address: string; action: ChainWrite["action"]; purpose: string; reason: string; payload: unknown;
  status: ChainWrite["status"]; tx_hash: string | null; last_error: string | null;
}
const CHAIN_WRITE_COLUMNS = "id::text AS id, applicant_id, wallet_address, action, purpose, reason, payload, status, tx_hash, last_error";
const toChainWrite = (row: ChainWriteRow): ChainWrite & { payload: unknown } => ({
  id: row.id, applicantId: row.applicant_id, walletAddress: row.wallet_address, action: row.action, purpose: row.purpose, reason: row.reason,
  payload: row.payload, status: row.status, txHash: row.tx_hash, lastError: row.last_error,
});
