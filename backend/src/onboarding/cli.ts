/**
 * `carbonclear screen "<name>" [--dob] [--country] [--list <file|dir|version>]`: top sanctions
 * candidates with scores and explanations (exit 5 when any candidate reaches the threshold).
 * `carbonclear sanctions import|lists`: versioned list imports (a new version re-screens approved
 * counterparties). `carbonclear onboarding list|show|approve|reject|cases|resolve`: the compliance desk.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { CliContext, RegisterCommands } from "../cli/command";
import { CliError, EXIT } from "../cli/command";
import { grantRole, revokeRole } from "../api/auth/store";
import { screen } from "./sanctions/match";
import type { MatchResult } from "./sanctions/match-result";
import type { SanctionsList } from "./sanctions/model";
import { buildScreeningIndex } from "./sanctions/screening-index";
import { screeningQuerySchema } from "./sanctions/screening-options";
import { OnboardingError } from "./workflow/errors";
import { createIdentityWriter } from "./workflow/identity-writer";
import { LIST_FORMATS, type ListFormat, readListRelease } from "./workflow/list-import";
import { registryAccountReader } from "./workflow/registry-reader";
import { OnboardingService } from "./workflow/service";
import { APPLICANT_STATES, type ApplicantState } from "./workflow/states";

/** Reads a list release from disk: a UN XML file, an FtM JSON file, or OFAC's sdn.csv (alt.csv and add.csv beside it) or their folder. */
export function readListFromDisk(location: string, options: { format?: string; listId?: string } = {}): { list: SanctionsList; warnings: readonly unknown[] } {
  if (!existsSync(location)) throw new CliError(`no such file or folder: ${location}`, EXIT.USAGE);
  const isDir = statSync(location).isDirectory();
  const format = (options.format ?? (isDir || /sdn\.csv$/iu.test(location) ? "ofac-legacy-csv" : /\.xml$/iu.test(location) ? "un-consolidated-xml" : "opensanctions-ftm")) as ListFormat;
  if (!LIST_FORMATS.includes(format)) throw new CliError(`unknown list format ${JSON.stringify(format)}: one of ${LIST_FORMATS.join(", ")}`, EXIT.USAGE);
  const read = (file: string) => {
    if (!existsSync(file)) throw new CliError(`the ${format} release needs ${file}`, EXIT.USAGE);
    return { name: path.basename(file), content: readFileSync(file) };
  };
  try {
    if (format === "ofac-legacy-csv") {
      const folder = isDir ? location : path.dirname(location);
      return readListRelease(format, { sdn: read(path.join(folder, "sdn.csv")), alt: read(path.join(folder, "alt.csv")), add: read(path.join(folder, "add.csv")) }, options);
    }
    return readListRelease(format, { file: read(location) }, options);
  } catch (error) {
    if (error instanceof OnboardingError) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
}

/** One line per explanation part: "mohammed≈muhammad jw 0.93 soundex+metaphone". */
export function explainMatch(match: MatchResult): string {
  const parts = match.explanation.map((part) => {
    const phonetic = part.phonetic === "none" ? "" : ` ${part.phonetic}`;
    return `${part.part ?? "∅"}≈${part.candidatePart ?? "∅"} jw ${part.jaroWinkler.toFixed(2)}${phonetic}`;
  });
  const evidence = [`dob ${match.evidence.dob}`, `country ${match.evidence.country}`];
  if (match.matchedName.quality !== "primary") evidence.push(`via ${match.matchedName.quality} alias`);
  return `${parts.join(", ")}; ${evidence.join(", ")}`;
}

function serviceFor(ctx: CliContext, pool: import("pg").Pool, chain?: Awaited<ReturnType<CliContext["chain"]>>): OnboardingService {
  const key = ctx.config.complianceKey;
  return new OnboardingService({
    pool,
    identity: chain !== undefined && key !== undefined
      ? createIdentityWriter({ publicClient: chain.publicClient, identityAddress: chain.deployment.contracts.identity, complianceKey: key.reveal() })
      : undefined,
    registryAccounts: ctx.config.registrySimUrl === undefined ? undefined : registryAccountReader(ctx.config.registrySimUrl),
    grantRole: (p, address, role, by) => grantRole(p, address, role, by),
    revokeRole: (p, address, role, by) => revokeRole(p, address, role, by),
    screeningThreshold: ctx.config.screeningThreshold,
  });
}

async function withService<T>(ctx: CliContext, work: (service: OnboardingService) => Promise<T>, options: { chain?: boolean } = {}): Promise<T> {
  const pool = (await ctx.openDatabase()).pool;
  const chain = options.chain === true && ctx.config.complianceKey !== undefined ? await ctx.chain() : undefined;
  try {
    return await work(serviceFor(ctx, pool, chain));
  } catch (error) {
    if (error instanceof OnboardingError) {
      throw new CliError(error.message, error.status === 404 ? EXIT.NOT_FOUND : error.status === 503 ? EXIT.UNAVAILABLE : EXIT.USAGE);
    }
    throw error;
  }
}

function parseNumber(value: string, name: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < min || number > max) throw new CliError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return number;
}

interface ScreenOptions { dob?: string; country?: string; kind?: string; list?: string; format?: string; threshold?: string; limit: string }

export const registerOnboardingCommands: RegisterCommands = (program, context) => {
  program
    .command("screen <name>")
    .description("screen a name against sanctions lists: top candidates with scores and explanations (exit 5 on a hit)")
    .option("--dob <date>", "date of birth, YYYY, YYYY-MM or YYYY-MM-DD")
    .option("--country <country>", "nationality or country (ISO code or English name)")
    .option("--kind <kind>", "individual, entity, vessel or aircraft")
    .option("--list <file|version>", "a list file or OFAC folder to screen against, or a stored list id / version (default: every current stored list)")
    .option("--format <format>", `list file format when --list is a file (${LIST_FORMATS.join(", ")})`)
    .option("--threshold <score>", "minimum score reported (default SCREENING_THRESHOLD)")
    .option("--limit <n>", "most candidates shown", "10")
    .action(async (name: string, options: ScreenOptions) => {
      const ctx = context();
      const parsed = screeningQuerySchema.safeParse({ name, dob: options.dob, country: options.country, kind: options.kind });
      if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `${String(i.path[0] ?? "query")}: ${i.message}`).join("; "), EXIT.USAGE);
      const query = parsed.data;
      const threshold = options.threshold === undefined ? ctx.config.screeningThreshold : parseNumber(options.threshold, "threshold", 0, 1);
      const limit = parseNumber(options.limit, "limit", 1, 1000);

      let result;
      let versions: Record<string, string>;
      if (options.list !== undefined && existsSync(options.list)) {
        const { list } = readListFromDisk(options.list, { format: options.format });
        result = screen(query, buildScreeningIndex([list]), { threshold, limit });
        versions = { [list.listId]: list.listVersion };
      } else {
        const searched = await withService(ctx, async (service) => {
          if (options.list === undefined) return service.search(query, { threshold, limit });
          const wanted = options.list;
          const stored = (await service.listVersions()).find((v) => v.listVersion === wanted || (v.listId === wanted && v.current));
          if (stored === undefined) throw new CliError(`no list file, stored list id or version ${JSON.stringify(wanted)}`, EXIT.NOT_FOUND);
          const all = await service.search(query, { threshold, limit: 10_000 });
          if (stored.current && all.listVersions[stored.listId] === stored.listVersion) {
            return { ...all, matches: all.matches.filter((m) => m.listId === stored.listId).slice(0, limit), listVersions: { [stored.listId]: stored.listVersion } };
          }
          throw new CliError(`${stored.listId} ${stored.listVersion} is not the current version; screen against a file or the current list`, EXIT.USAGE);
        });
        result = searched;
        versions = searched.listVersions;
      }
      const rows = result.matches.map((match, index) => ({
        rank: index + 1,
        score: match.score.toFixed(3),
        name: match.matchedName.full,
        list: match.listId,
        entry: match.entryId,
        kind: match.kind,
        explanation: explainMatch(match),
      }));
      ctx.out.result(() => {
        ctx.out.line(`screened "${name}" against ${Object.entries(versions).map(([id, v]) => `${id} ${v.slice(0, 19)}…`).join(", ")} at threshold ${threshold}`);
        ctx.out.table(rows, ["rank", "score", "name", "list", "entry", "kind", "explanation"]);
      }, { query, threshold, listVersions: versions, matches: result.matches });
      if (result.matches.length > 0) ctx.setExitCode(EXIT.CHECK_FAILED);
    });

  const sanctions = program.command("sanctions").description("sanctions list versions");
  sanctions
    .command("import <location>")
    .description("import a list release (UN XML file, FtM JSON file, or OFAC sdn.csv / its folder); a new version re-screens approved counterparties")
    .option("--format <format>", `one of ${LIST_FORMATS.join(", ")} (default: from the file name)`)
    .option("--list-id <id>", "list id (default: the format's)")
    .option("--by <who>", "who is acting, for the audit log", "operator")
    .action(async (location: string, options: { format?: string; listId?: string; by: string }) => {
      const ctx = context();
      const { list, warnings } = readListFromDisk(location, { format: options.format, listId: options.listId });
      const result = await withService(ctx, (service) => service.importList(list, warnings as never, `cli:${options.by}`), { chain: true });
      ctx.out.result(
        () => {
          ctx.out.line(`${list.listId} ${list.listVersion}: ${list.entries.length} entries, ${warnings.length} warning(s); ${result.created ? "new version" : "already imported, nothing changed"}`);
          if (result.created) ctx.out.line(`re-screened ${result.rescreened} approved counterparties; new hits: ${result.newHits.length === 0 ? "none" : result.newHits.join(", ")}`);
        },
        { listId: list.listId, listVersion: list.listVersion, entries: list.entries.length, warnings, ...result },
      );
      if (result.newHits.length > 0) ctx.setExitCode(EXIT.CHECK_FAILED);
    });
  sanctions
    .command("lists")
    .description("imported list versions")
    .action(async () => {
      const ctx = context();
      const versions = await withService(ctx, (service) => service.listVersions());
      ctx.out.result(() => ctx.out.table(versions.map((v) => ({ ...v })), ["listId", "listVersion", "format", "entryCount", "current", "importedBy", "importedAt"]), versions);
    });

  const onboarding = program.command("onboarding").description("the compliance desk: applicants, review cases, decisions");
  onboarding
    .command("list")
    .description("applicants, optionally in one state")
    .option("--state <state>", APPLICANT_STATES.join(", "))
    .action(async (options: { state?: string }) => {
      const ctx = context();
      if (options.state !== undefined && !APPLICANT_STATES.includes(options.state as ApplicantState)) {
        throw new CliError(`unknown state ${JSON.stringify(options.state)}: one of ${APPLICANT_STATES.join(", ")}`, EXIT.USAGE);
      }
      const applicants = await withService(ctx, (service) => service.list({ state: options.state as ApplicantState | undefined }));
      ctx.out.result(() => ctx.out.table(applicants.map((a) => ({ ...a })), ["id", "walletAddress", "kind", "displayName", "country", "state", "stateReason"]), applicants);
    });
  onboarding
    .command("show <applicantId>")
    .description("one applicant: documents and checks, registry links, screenings, cases, chain writes, history")
    .action(async (id: string) => {
      const ctx = context();
      const details = await withService(ctx, (service) => service.details(id));
      const json = { ...details, history: details.history.map((e) => ({ ...e, id: e.id.toString() })) };
      ctx.out.result(() => {
        const a = details.applicant;
        ctx.out.line(`${a.displayName} (${a.kind}, ${a.country}) wallet ${a.walletAddress}: ${a.state} — ${a.stateReason}`);
        ctx.out.table(details.documents.flatMap((d) => d.checks.map((c) => ({ document: `${d.id} ${d.type}`, check: c.check, passed: c.passed, reason: c.reason }))));
        ctx.out.table(details.history.map((e) => ({ at: e.at.toISOString(), actor: e.actor, action: e.action, to: e.details.to ?? "", reason: e.details.reason ?? "" })));
      }, json);
    });
  for (const decision of ["approve", "reject"] as const) {
    onboarding
      .command(`${decision} <applicantId>`)
      .description(decision === "approve" ? "approve a registry_linked applicant: trader role and on-chain identity (COMPLIANCE_KEY)" : "reject an applicant")
      .requiredOption("--reason <text>", "why (kept in the audit log)")
      .option("--by <who>", "who is acting, for the audit log", "operator")
      .action(async (id: string, options: { reason: string; by: string }) => {
        const ctx = context();
        const result = await withService(
          ctx,
          async (service) => (decision === "approve" ? service.approve(id, `cli:${options.by}`, options.reason) : { applicant: await service.reject(id, `cli:${options.by}`, options.reason) }),
          { chain: decision === "approve" },
        );
        ctx.out.result(() => {
          ctx.out.line(`${result.applicant.displayName}: ${result.applicant.state}`);
          if ("chainWrite" in result) ctx.out.line(`on-chain identity: ${result.chainWrite.status}${result.chainWrite.txHash === null ? "" : ` (tx ${result.chainWrite.txHash})`}${result.chainWrite.lastError === null ? "" : ` — ${result.chainWrite.lastError}`}`);
        }, result);
      });
  }
  onboarding
    .command("cases")
    .description("review cases")
    .option("--status <status>", "open, cleared or confirmed", "open")
    .action(async (options: { status: string }) => {
      const ctx = context();
      if (!["open", "cleared", "confirmed"].includes(options.status)) throw new CliError(`--status must be open, cleared or confirmed`, EXIT.USAGE);
      const cases = await withService(ctx, (service) => service.cases({ status: options.status as "open" }));
      ctx.out.result(() => ctx.out.table(cases.map((c) => ({ ...c })), ["id", "applicantId", "kind", "status", "summary"]), cases);
    });
  onboarding
    .command("resolve <caseId> <decision>")
    .description("resolve a review case: clear (false positive / documents accepted) or confirm (reject)")
    .requiredOption("--reason <text>", "why (kept in the audit log)")
    .option("--by <who>", "who is acting, for the audit log", "operator")
    .action(async (caseId: string, decision: string, options: { reason: string; by: string }) => {
      const ctx = context();
      if (decision !== "clear" && decision !== "confirm") throw new CliError(`decision must be clear or confirm, got ${JSON.stringify(decision)}`, EXIT.USAGE);
      const result = await withService(ctx, (service) => service.resolveCase(caseId, decision, `cli:${options.by}`, options.reason), { chain: true });
      ctx.out.result(() => ctx.out.line(`case ${result.case.id} ${result.case.status}; applicant ${result.applicant.id} is ${result.applicant.state}`), result);
    });
};
