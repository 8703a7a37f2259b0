import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, revokeRole, rolesOf } from "../../api/auth/store";
import { auditEntriesFor } from "../../db";
import { openTestDatabase, type TestDatabase } from "../../db/testing";
import { startTestSimulator, type SimulatorClient } from "../../registry/simulator/testing";
import type { RunningRegistrySimulator } from "../../registry/simulator";
import { startTestChain, type TestChain } from "../../testing";
import { applicantSubject } from "./applicants";
import { OnboardingError } from "./errors";
import { createIdentityWriter, type IdentityWriter } from "./identity-writer";
import { registryAccountReader } from "./registry-reader";
import { OnboardingService } from "./service";
import { exactBirthDate, lei, makeEntry, passportMrz, testList, TINY_PDF, TINY_PNG } from "./test-support";

let db: TestDatabase;
let chain: TestChain;
let sim: RunningRegistrySimulator;
let client: SimulatorClient;
let identity: IdentityWriter;
let service: OnboardingService;
const NOW = new Date("2026-06-01T12:00:00Z");
const OFFICER = "0x00000000000000000000000000000000000c0de1";

beforeAll(async () => {
  [db, chain, { sim, client }] = await Promise.all([openTestDatabase(), startTestChain(), startTestSimulator()]);
  identity = createIdentityWriter({
    publicClient: chain.publicClient as never,
    identityAddress: chain.deployment.contracts.identity,
    complianceKey: chain.accounts[1],
  });
  // The chain's clock runs from now; documents are checked against a fixed "today".
  service = new OnboardingService({ pool: db.pool, identity, registryAccounts: registryAccountReader(sim.url), grantRole, revokeRole, now: () => NOW });
  await service.importList(testList("ofac-sdn", "v1"), [], "test");
});
afterAll(async () => {
  await Promise.all([db?.close(), chain?.close(), sim?.close()]);
});

const anna = {
  kind: "individual",
  surname: "Eriksson",
  givenNames: "Anna Maria",
  birthDate: "1974-08-12",
  nationality: "SE",
  documentNumber: "L898902C3",
} as const;
const annaMrz = passportMrz({ surname: "ERIKSSON", givenNames: "ANNA MARIA", documentNumber: "L898902C3", nationality: "SWE", birthDate: "1974-08-12", expiryDate: "2031-04-15" });

async function expectRefusal(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OnboardingError);
  expect((error as OnboardingError).code).toBe(code);
  expect((error as OnboardingError).message).toMatch(message);
}

async function linkAccount(applicantId: string, wallet: string, registry: "VERRA" | "GOLD_STANDARD" = "VERRA"): Promise<string> {
  const account = await client.createAccount({ registry, name: `holder ${wallet.slice(0, 8)}` });
  const link = await service.registryChallenge(applicantId, registry, account.id, wallet);
  await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: `CarbonClear verification: ${link.challenge}` }));
  await service.verifyRegistryAccount(applicantId, registry, account.id, wallet);
  return account.id;
}

describe("the onboarding workflow against Postgres, the registry simulator and the Hardhat network", () => {
  it("takes an individual from application to on-chain eligibility, every transition audited", async () => {
    const wallet = chain.users[0].address;
    const applied = await service.apply(wallet, anna, wallet);
    expect(applied.state).toBe("applied");

    const passport = await service.uploadDocument(applied.id, { type: "passport", mimeType: "image/png", mrz: annaMrz }, TINY_PNG, wallet);
    expect(passport.passed).toBe(true);
    expect(passport.checks.map((c) => c.check)).toEqual(expect.arrayContaining([
      "file.type", "mrz.check_digit.documentNumber", "mrz.check_digit.composite", "document.type", "document.expiry",
      "fields.surname", "fields.givenNames", "fields.birthDate", "fields.nationality", "fields.documentNumber",
    ]));

    const screened = await service.submitDocuments(applied.id, wallet);
    expect(screened.state).toBe("screened");

    expect(await identity.isEligible(wallet)).toBe(false);
    const accountId = await linkAccount(applied.id, wallet);
    expect((await service.applicant(applied.id)).state).toBe("registry_linked");

    const { applicant, chainWrite } = await service.approve(applied.id, OFFICER, "all checks passed");
    expect(applicant.state).toBe("approved");
    expect(chainWrite).toMatchObject({ action: "set_identity", status: "confirmed", lastError: null });
    expect(chainWrite.txHash).toMatch(/^0x[0-9a-f]{64}$/u);
    expect(await identity.isEligible(wallet)).toBe(true);

    const details = await service.details(applied.id);
    expect(details.registryLinks).toMatchObject([{ registry: "VERRA", accountId, status: "verified" }]);
    const transitions = details.history.filter((e) => e.action === "onboarding.applicant.transition").map((e) => e.details.to);
    expect(transitions).toEqual(["documents_submitted", "documents_verified", "screened", "registry_linked", "approved"]);
    expect(details.history.every((e) => e.subject === applicantSubject(applied.id))).toBe(true);
    expect(details.history.map((e) => e.action)).toContain("onboarding.chain.set_identity.confirmed");

    // Approving again is an illegal transition and changes nothing.
    const before = (await auditEntriesFor(db.pool, applicantSubject(applied.id))).length;
    await expectRefusal(service.approve(applied.id, OFFICER, "again"), "ILLEGAL_TRANSITION", /is approved; only registry_linked/);
    expect((await auditEntriesFor(db.pool, applicantSubject(applied.id))).length).toBe(before);
  });

  it("onboards an organisation with an LEI certificate", async () => {
    const wallet = chain.users[1].address;
    const applied = await service.apply(wallet, { kind: "organisation", legalName: "Green Forest Carbon GmbH", country: "DE", lei: lei() }, wallet);
    const document = await service.uploadDocument(applied.id, { type: "lei_certificate", mimeType: "application/pdf", lei: lei(), legalName: "GREEN FOREST CARBON GMBH" }, TINY_PDF, wallet);
    expect(document.checks.every((c) => c.passed)).toBe(true);
    expect((await service.submitDocuments(applied.id, wallet)).state).toBe("screened");
    await linkAccount(applied.id, wallet, "GOLD_STANDARD");
    const { chainWrite } = await service.approve(applied.id, OFFICER, "LEI verified");
    expect(chainWrite.status).toBe("confirmed");
    expect(await identity.isEligible(wallet)).toBe(true);
  });

  it("parks a document that fails its checks on a review case naming each failed check", async () => {
    const wallet = chain.users[2].address;
    const applied = await service.apply(wallet, { ...anna, surname: "Andersson", documentNumber: undefined }, wallet);
    const tampered = annaMrz.replace("7408122", "7408123");
    const document = await service.uploadDocument(applied.id, { type: "passport", mimeType: "image/png", mrz: tampered }, TINY_PNG, wallet);
    expect(document.passed).toBe(false);
    const failed = document.checks.filter((c) => !c.passed).map((c) => c.check);
    expect(failed).toEqual(expect.arrayContaining(["mrz.check_digit.birthDate", "mrz.check_digit.composite", "fields.surname"]));

    const parked = await service.submitDocuments(applied.id, wallet);
    expect(parked.state).toBe("needs_manual_review");
    const [reviewCase] = await service.cases({ applicantId: applied.id, status: "open" });
    expect(reviewCase.kind).toBe("documents");
    expect(reviewCase.summary).toMatch(/mrz\.check_digit\.birthDate \(check digit is 3, expected 2/u);
    expect(reviewCase.summary).toMatch(/fields\.surname/u);

    const { applicant } = await service.resolveCase(reviewCase.id, "confirm", OFFICER, "document tampered");
    expect(applicant.state).toBe("rejected");
    await expectRefusal(service.resolveCase(reviewCase.id, "clear", OFFICER, "oops"), "CASE_NOT_OPEN", /already confirmed/);
  });

  it("sends a sanctions hit to review with the explanation; clearing it suppresses the match for that list version", async () => {
    const wallet = chain.users[3].address;
    const applied = await service.apply(
      wallet,
      { kind: "individual", surname: "Al-Rashid", givenNames: "Mohammed", birthDate: "1960-01-12", nationality: "IQ" },
      wallet,
    );
    const mrz = passportMrz({ surname: "AL<RASHID", givenNames: "MOHAMMED", documentNumber: "A1234567", nationality: "IRQ", birthDate: "1960-01-12", expiryDate: "2030-01-01", sex: "M" });
    await service.uploadDocument(applied.id, { type: "passport", mimeType: "image/png", mrz }, TINY_PNG, wallet);
    const parked = await service.submitDocuments(applied.id, wallet);
    expect(parked.state).toBe("needs_manual_review");
    const details = await service.details(applied.id);
    const screening = details.screenings.at(-1)!;
    expect(screening.outcome).toBe("hit");
    expect(screening.matches[0]).toMatchObject({ listId: "ofac-sdn", entryId: "1", evidence: { dob: "match", country: "match" } });
    expect(screening.matches[0].explanation.length).toBeGreaterThan(0);
    const [reviewCase] = details.cases.filter((c) => c.status === "open");
    expect(reviewCase).toMatchObject({ kind: "screening", screeningId: screening.id });

    const { applicant } = await service.resolveCase(reviewCase.id, "clear", OFFICER, "different person: passport photo and POB differ");
    expect(applicant.state).toBe("screened");
    // The cleared match is suppressed for the list version it was found on, and only for this applicant.
    const { rows } = await db.pool.query("SELECT list_id, list_version, entry_id, applicant_id, reason FROM sanctions_suppressions WHERE review_case_id = $1", [reviewCase.id]);
    expect(rows).toEqual([{ list_id: "ofac-sdn", list_version: screening.listVersions["ofac-sdn"], entry_id: "1", applicant_id: applied.id, reason: "different person: passport photo and POB differ" }]);
    const search = await service.search({ name: "Mohammed Al-Rashid", dob: "1960-01-12" });
    expect(search.matches[0].entryId).toBe("1");
  });

  it("refuses bad documents with clear errors and stores nothing", async () => {
    const wallet = chain.users[4].address;
    const applied = await service.apply(wallet, anna, wallet);
    const meta = { type: "passport", mimeType: "image/png", mrz: annaMrz };
    const tooLarge = new OnboardingService({ pool: db.pool, now: () => NOW, maxDocumentBytes: 64 });
    await expectRefusal(tooLarge.uploadDocument(applied.id, meta, Buffer.concat([TINY_PNG, Buffer.alloc(100)]), wallet), "DOCUMENT_TOO_LARGE", /the limit is 64 bytes/);
    await expectRefusal(service.uploadDocument(applied.id, meta, TINY_PDF, wallet), "DOCUMENT_MALFORMED", /not image\/png: it does not start with the PNG signature/);
    await expectRefusal(service.uploadDocument(applied.id, meta, Buffer.alloc(0), wallet), "DOCUMENT_MALFORMED", /empty/);
    await expectRefusal(service.uploadDocument(applied.id, { ...meta, mrz: "P<SWEERIKSSON" }, TINY_PNG, wallet), "DOCUMENT_MALFORMED", /MRZ cannot be read/);
    await expectRefusal(service.uploadDocument(applied.id, { ...meta, mimeType: "text/html" }, TINY_PNG, wallet), "INVALID_INPUT", /mimeType: must be one of/);
    await expectRefusal(
      service.uploadDocument(applied.id, { type: "lei_certificate", mimeType: "image/png", lei: lei(), legalName: "X" }, TINY_PNG, wallet),
      "INVALID_INPUT",
      /individual applicant submits passport or national_id/,
    );
    await expectRefusal(service.submitDocuments(applied.id, wallet), "INVALID_INPUT", /upload a passport or national_id before submitting/);
    expect((await service.details(applied.id)).documents).toEqual([]);
    expect((await auditEntriesFor(db.pool, applicantSubject(applied.id))).map((e) => e.action)).toEqual(["onboarding.applicant.applied"]);

    await service.uploadDocument(applied.id, meta, TINY_PNG, wallet);
    await expectRefusal(service.uploadDocument(applied.id, meta, TINY_PNG, wallet), "DOCUMENT_DUPLICATE", /already uploaded/);
  });

  it("refuses bad applications and illegal transitions", async () => {
    const wallet = chain.users[5].address;
    await expectRefusal(service.apply(wallet, { ...anna, birthDate: "1974-02-30", nationality: "Atlantis" }, wallet), "INVALID_INPUT", /birthDate: must be a calendar date.*nationality: "Atlantis" is not a recognised country/);
    await expectRefusal(service.apply(wallet, { kind: "organisation", legalName: "X Ltd", country: "GB", lei: "5493001KJTIIGC8Y1R00" }, wallet), "INVALID_INPUT", /lei: not a valid LEI: check digits 00/);
    await expectRefusal(service.apply("0x1234", anna, wallet), "INVALID_INPUT", /not a 20-byte 0x address/);
    const applied = await service.apply(wallet, anna, wallet);
    await expectRefusal(service.apply(wallet.toLowerCase(), anna, wallet), "ALREADY_EXISTS", /already has an application/);
    await expectRefusal(service.approve(applied.id, OFFICER, "skip the checks"), "ILLEGAL_TRANSITION", /is applied; only registry_linked/);
    await expectRefusal(service.screenApplicant(applied.id, OFFICER), "ILLEGAL_TRANSITION", /screening runs on documents_verified/);
    await expectRefusal(service.approve(applied.id, OFFICER, "  "), "INVALID_INPUT", /non-empty reason/);
    await expectRefusal(service.applicant("00000000-0000-0000-0000-000000000000"), "NOT_FOUND", /no applicant/);
    expect((await service.applicant(applied.id)).state).toBe("applied");
  });

  it("proves registry-account control only when the account shows the challenge, and only for one applicant", async () => {
    const wallet = chain.users[6].address;
    const applied = await service.apply(wallet, anna, wallet);
    const account = await client.createAccount({ registry: "VERRA" });
    await expectRefusal(service.verifyRegistryAccount(applied.id, "VERRA", account.id, wallet), "CHALLENGE_NOT_FOUND", /request one first/);
    const link = await service.registryChallenge(applied.id, "verra", account.id, wallet);
    expect(link.challenge).toMatch(/^carbonclear-[0-9a-f]{32}$/u);
    expect((await service.registryChallenge(applied.id, "VERRA", account.id, wallet)).challenge).toBe(link.challenge);
    await expectRefusal(service.verifyRegistryAccount(applied.id, "VERRA", account.id, wallet), "CHALLENGE_NOT_SHOWN", /does not show the challenge/);
    await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: "carbonclear-00000000000000000000000000000000" }));
    await expectRefusal(service.verifyRegistryAccount(applied.id, "VERRA", account.id, wallet), "CHALLENGE_NOT_SHOWN", /does not show/);
    await expectRefusal(service.registryChallenge(applied.id, "ACME", account.id, wallet), "INVALID_INPUT", /not one of VERRA, GOLD_STANDARD, CCTS/);
    await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: link.challenge }));
    expect((await service.verifyRegistryAccount(applied.id, "VERRA", account.id, wallet)).status).toBe("verified");
    // The state does not jump ahead: the applicant is still applied until screened.
    expect((await service.applicant(applied.id)).state).toBe("applied");

    const other = await service.apply(chain.users[7].address, { ...anna, surname: "Svensson" }, "x");
    const otherLink = await service.registryChallenge(other.id, "VERRA", account.id, "x");
    await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: otherLink.challenge }));
    await expectRefusal(service.verifyRegistryAccount(other.id, "VERRA", account.id, "x"), "REGISTRY_ACCOUNT_TAKEN", /already linked to another applicant/);
    await expectRefusal(service.registryChallenge(other.id, "VERRA", "VCS-404", "x").then(() => service.verifyRegistryAccount(other.id, "VERRA", "VCS-404", "x")), "REGISTRY_ACCOUNT_UNAVAILABLE", /has no account VCS-404/);
  });

  it("re-screens approved counterparties on a list update: a new hit freezes the wallet and opens a case", async () => {
    const wallet = chain.users[8].address;
    const applied = await service.apply(wallet, { kind: "individual", surname: "Kowalski", givenNames: "Jan", birthDate: "1980-05-05", nationality: "PL" }, wallet);
    const mrz = passportMrz({ surname: "KOWALSKI", givenNames: "JAN", documentNumber: "EK1234567", nationality: "POL", birthDate: "1980-05-05", expiryDate: "2032-01-01", sex: "M" });
    await service.uploadDocument(applied.id, { type: "passport", mimeType: "image/jpeg", mrz }, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), wallet);
    expect((await service.submitDocuments(applied.id, wallet)).state).toBe("screened");
    await linkAccount(applied.id, wallet);
    await service.approve(applied.id, OFFICER, "ok");
    expect(await identity.isEligible(wallet)).toBe(true);

    // Same version again: nothing happens.
    expect(await service.importList(testList("ofac-sdn", "v1"), [], "test")).toMatchObject({ created: false, rescreened: 0 });

    const update = testList("ofac-sdn", "v2", [makeEntry("77", ["KOWALSKI, Jan"], { birthDates: [exactBirthDate("1980-05-05")], countries: ["PL"] })]);
    const result = await service.importList(update, [], OFFICER);
    expect(result.created).toBe(true);
    expect(result.newHits).toContain(applied.id);
    expect(await identity.isFrozen(wallet)).toBe(true);
    expect(await identity.isEligible(wallet)).toBe(false);
    const parked = await service.details(applied.id);
    expect(parked.applicant.state).toBe("needs_manual_review");
    const open = parked.cases.find((c) => c.status === "open")!;
    expect(open).toMatchObject({ kind: "list_update" });
    expect(open.summary).toMatch(/KOWALSKI, Jan/u);
    expect(parked.chainWrites.find((w) => w.action === "freeze")).toMatchObject({ status: "confirmed", purpose: `case:${open.id}` });
    // Earlier approved counterparties without a hit stay approved and eligible.
    expect(await identity.isEligible(chain.users[0].address)).toBe(true);

    const cleared = await service.resolveCase(open.id, "clear", OFFICER, "namesake: different father's name and POB");
    expect(cleared.applicant.state).toBe("approved");
    expect(await identity.isFrozen(wallet)).toBe(false);
    expect(await identity.isEligible(wallet)).toBe(true);
    // Re-screening the same version again does not raise the reviewed match.
    expect((await service.rescreenApproved("test")).newHits).not.toContain(applied.id);
  });

  it("keeps an approval whose chain write failed pending, and completes it on retry", async () => {
    const wallet = chain.users[9].address;
    const offline = new OnboardingService({ pool: db.pool, registryAccounts: registryAccountReader(sim.url), now: () => NOW });
    const applied = await offline.apply(wallet, { ...anna, surname: "Lind", documentNumber: undefined }, wallet);
    const mrz = passportMrz({ surname: "LIND", givenNames: "ANNA MARIA", documentNumber: "X1", nationality: "SWE", birthDate: "1974-08-12", expiryDate: "2031-04-15" });
    await offline.uploadDocument(applied.id, { type: "passport", mimeType: "image/png", mrz }, TINY_PNG, wallet);
    await offline.submitDocuments(applied.id, wallet);
    await linkAccount(applied.id, wallet);
    const { applicant, chainWrite } = await offline.approve(applied.id, OFFICER, "ok");
    expect(applicant.state).toBe("approved");
    expect(chainWrite).toMatchObject({ status: "pending", lastError: "no chain connection or COMPLIANCE_KEY configured" });
    expect(await identity.isEligible(wallet)).toBe(false);
    const retried = await service.retryChainWrites();
    expect(retried.find((w) => w.id === chainWrite.id)).toMatchObject({ status: "confirmed" });
    expect(await identity.isEligible(wallet)).toBe(true);
  });

  it("rejects an approved counterparty whose list-update hit is confirmed: the wallet stays frozen, the trader role is revoked", async () => {
    const wallet = chain.users[10].address;
    const applied = await service.apply(wallet, { kind: "individual", surname: "Novak", givenNames: "Petra", birthDate: "1985-09-09", nationality: "CZ" }, wallet);
    const mrz = passportMrz({ surname: "NOVAK", givenNames: "PETRA", documentNumber: "CZ9876543", nationality: "CZE", birthDate: "1985-09-09", expiryDate: "2033-01-01" });
    await service.uploadDocument(applied.id, { type: "passport", mimeType: "image/png", mrz }, TINY_PNG, wallet);
    await service.submitDocuments(applied.id, wallet);
    await linkAccount(applied.id, wallet);
    await service.approve(applied.id, OFFICER, "ok");
    expect(await rolesOf(db.pool, wallet)).toEqual(["trader"]);

    const update = testList("ofac-sdn", "v3", [makeEntry("88", ["NOVAK, Petra"], { birthDates: [exactBirthDate("1985-09-09")], countries: ["CZ"] })]);
    expect((await service.importList(update, [], OFFICER)).newHits).toEqual([applied.id]);
    const [open] = await service.cases({ applicantId: applied.id, status: "open" });
    const { applicant } = await service.resolveCase(open.id, "confirm", OFFICER, "same person: DOB, nationality and passport match");
    expect(applicant.state).toBe("rejected");
    expect(await identity.isFrozen(wallet)).toBe(true);
    expect(await identity.isEligible(wallet)).toBe(false);
    expect(await rolesOf(db.pool, wallet)).toEqual([]);
  });

  it("finishes a list update's re-screening that a crash interrupted, screening each approved counterparty once", async () => {
    const approved = await db.pool.query<{ id: string }>("SELECT id FROM onboarding_applicants WHERE state = 'approved' ORDER BY id");
    expect(approved.rows.length).toBeGreaterThan(1);
    // What a crash right after the list import (and one counterparty's screening) leaves behind.
    const { rows: runs } = await db.pool.query<{ id: string }>(
      "INSERT INTO onboarding_rescreen_runs (list_id, list_version, requested_by) VALUES ('ofac-sdn', 'v3', $1) RETURNING id::text AS id",
      [OFFICER],
    );
    const runId = runs[0].id;
    const first = approved.rows[0].id;
    await db.pool.query(
      `INSERT INTO onboarding_screenings (applicant_id, trigger, list_versions, threshold, query, outcome, matches, suppressed, rescreen_run_id)
       VALUES ($1, 'list_update', '{}'::jsonb, 0.9, '{}'::jsonb, 'clear', '[]'::jsonb, '[]'::jsonb, $2)`,
      [first, runId],
    );

    const resumed = await service.resumeRescreens("test");
    expect(resumed).toEqual([{ rescreenRunId: runId, rescreened: approved.rows.length, newHits: [] }]);
    const perApplicant = await db.pool.query<{ applicant_id: string; n: number }>(
      "SELECT applicant_id, count(*)::int AS n FROM onboarding_screenings WHERE rescreen_run_id = $1 GROUP BY applicant_id ORDER BY applicant_id",
      [runId],
    );
    expect(perApplicant.rows).toEqual(approved.rows.map((r) => ({ applicant_id: r.id, n: 1 })));
    const run = await db.pool.query("SELECT completed_at, rescreened FROM onboarding_rescreen_runs WHERE id = $1", [runId]);
    expect(run.rows[0].completed_at).not.toBeNull();
    expect(await service.resumeRescreens("test")).toEqual([]);

    // A new list version records its run with the version, complete once importList returns.
    const v4 = testList("ofac-sdn", "v4");
    const imported = await service.importList(v4, [], OFFICER);
    expect(imported).toMatchObject({ created: true, rescreened: approved.rows.length });
    const recorded = await db.pool.query("SELECT list_id, list_version, completed_at FROM onboarding_rescreen_runs WHERE id = $1", [imported.rescreenRunId]);
    expect(recorded.rows[0]).toMatchObject({ list_id: v4.listId, list_version: v4.listVersion });
    expect(recorded.rows[0].completed_at).not.toBeNull();
  });
});
