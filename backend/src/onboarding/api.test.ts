/**
 * The onboarding API end to end: SIWE sign-in → application → documents → screening → registry
 * linkage → approval → on-chain eligibility, against the Hardhat network, Postgres and the registry
 * simulator over real HTTP; and the refusals (other wallets, bad documents, bad list files).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { rolesOf } from "../api/auth/store";
import { startApiForTest, type TestApi } from "../api/testing";
import { Secret } from "../config";
import { openTestDatabase, type TestDatabase } from "../db/testing";
import type { RunningRegistrySimulator } from "../registry/simulator";
import { startTestSimulator, type SimulatorClient } from "../registry/simulator/testing";
import { startTestChain, type TestChain } from "../testing";
import { onboardingApi } from "./api";
import { createIdentityWriter, type IdentityWriter } from "./workflow/identity-writer";
import { passportMrz, TINY_PDF, TINY_PNG } from "./workflow/test-support";

const FIXTURES = path.join(__dirname, "sanctions", "fixtures");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

let db: TestDatabase;
let chain: TestChain;
let sim: RunningRegistrySimulator;
let client: SimulatorClient;
let api: TestApi;
let identity: IdentityWriter;
let officer: string;

beforeAll(async () => {
  [db, chain, { sim, client }] = await Promise.all([openTestDatabase(), startTestChain(), startTestSimulator()]);
  const complianceKey = chain.accounts[1];
  api = await startApiForTest({
    pool: db.pool,
    chainId: chain.chainId,
    modules: [
      onboardingApi({
        pool: db.pool,
        config: { complianceKey: new Secret(complianceKey), screeningThreshold: 0.7 },
        publicClient: chain.publicClient as never,
        deployment: chain.deployment,
        registryUrl: sim.url,
      }),
    ],
  });
  identity = createIdentityWriter({ publicClient: chain.publicClient as never, identityAddress: chain.deployment.contracts.identity, complianceKey });
  officer = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["compliance"]);
}, 120_000);
afterAll(async () => {
  await api?.close();
  await Promise.all([db?.close(), chain?.close(), sim?.close()]);
});

const ofacRelease = () => ({ format: "ofac-legacy-csv", sdn: fixture("sdn.csv"), alt: fixture("alt.csv"), add: fixture("add.csv") });

function futureIso(years: number): string {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.toISOString().slice(0, 10);
}

describe("onboarding over HTTP", () => {
  it("imports the OFAC legacy CSV release as a version; the same files again are the same version", async () => {
    const first = await api.call("POST", "/v1/sanctions/lists", { token: officer, body: ofacRelease() });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ listId: "ofac-sdn", created: true, rescreened: 0 });
    expect(first.body.listVersion).toMatch(/^sha256:[0-9a-f]{64}$/u);
    const again = await api.call("POST", "/v1/sanctions/lists", { token: officer, body: ofacRelease() });
    expect(again).toMatchObject({ status: 200, body: { created: false } });
    const lists = await api.call("GET", "/v1/sanctions/lists", { token: officer });
    expect(lists.body).toMatchObject([{ listId: "ofac-sdn", listVersion: first.body.listVersion, current: true }]);
  });

  it("refuses a malformed list file naming the problem, and stores nothing", async () => {
    const broken = { ...ofacRelease(), sdn: `${fixture("sdn.csv")}90099,"BROKEN ENTRY","not-a-type"\n` };
    const res = await api.call("POST", "/v1/sanctions/lists", { token: officer, body: broken });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/sdn\.csv: line \d+/u);
    const unknownFormat = await api.call("POST", "/v1/sanctions/lists", { token: officer, body: { format: "excel", file: "x" } });
    expect(unknownFormat.status).toBe(400);
    expect((await api.call("GET", "/v1/sanctions/lists", { token: officer })).body).toHaveLength(1);
  });

  it("screens a name: top candidates with scores and explanations", async () => {
    const res = await api.call("POST", "/v1/screening/search", { token: officer, body: { name: "Mohamed Al-Rashid", dob: "1960-01-12" } });
    expect(res.status).toBe(200);
    expect(res.body.matches[0]).toMatchObject({ listId: "ofac-sdn", entryId: "90001", evidence: { dob: "match" } });
    expect(res.body.matches[0].score).toBeGreaterThanOrEqual(0.7);
    expect(res.body.matches[0].explanation.length).toBeGreaterThan(0);
    const bad = await api.call("POST", "/v1/screening/search", { token: officer, body: { name: "!!!", dob: "1960-13-01" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/body\.name.*body\.dob/su);
  });

  it("takes a wallet from SIWE sign-in to on-chain eligibility", async () => {
    const trader = chain.users[0];
    const token = await api.signIn(trader);
    const applied = await api.call("POST", "/v1/onboarding/application", {
      token,
      body: { kind: "individual", surname: "Eriksson", givenNames: "Anna Maria", birthDate: "1974-08-12", nationality: "Sweden" },
    });
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ state: "applied", walletAddress: trader.address, country: "SE" });

    const mrz = passportMrz({ surname: "ERIKSSON", givenNames: "ANNA MARIA", documentNumber: "L898902C3", nationality: "SWE", birthDate: "1974-08-12", expiryDate: futureIso(5) });
    const upload = await api.call("POST", "/v1/onboarding/application/documents", {
      token,
      body: { type: "passport", mimeType: "image/png", mrz, contentBase64: TINY_PNG.toString("base64") },
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ passed: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/u) });

    const submitted = await api.call("POST", "/v1/onboarding/application/submit", { token });
    expect(submitted.body).toMatchObject({ state: "screened" });

    const account = await client.createAccount({ registry: "VERRA", name: "Anna Eriksson" });
    const challenge = await api.call("POST", "/v1/onboarding/application/registry-accounts", { token, body: { registry: "VERRA", accountId: account.id } });
    expect(challenge.status).toBe(200);
    const early = await api.call("POST", "/v1/onboarding/application/registry-accounts/verify", { token, body: { registry: "VERRA", accountId: account.id } });
    expect(early).toMatchObject({ status: 409, body: { error: { code: "CHALLENGE_NOT_SHOWN" } } });
    await client.ok(client.put(`/v1/accounts/${account.id}/note`, { note: challenge.body.challenge }));
    const verified = await api.call("POST", "/v1/onboarding/application/registry-accounts/verify", { token, body: { registry: "VERRA", accountId: account.id } });
    expect(verified.body).toMatchObject({ status: "verified" });

    // The applicant cannot approve themself, nor read the compliance views.
    const self = await api.call("POST", `/v1/onboarding/applicants/${applied.body.id}/approve`, { token, body: { reason: "me" } });
    expect(self.status).toBe(403);
    expect(await identity.isEligible(trader.address)).toBe(false);

    const approved = await api.call("POST", `/v1/onboarding/applicants/${applied.body.id}/approve`, { token: officer, body: { reason: "KYC complete" } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ applicant: { state: "approved" }, chainWrite: { status: "confirmed", action: "set_identity" } });
    expect(await identity.isEligible(trader.address)).toBe(true);
    expect(await rolesOf(db.pool, trader.address)).toContain("trader");

    const own = await api.call("GET", "/v1/onboarding/application", { token });
    expect(own.body.applicant.state).toBe("approved");
    expect(own.body.history.map((e: { action: string }) => e.action)).toContain("onboarding.chain.set_identity.confirmed");
    const file = await fetch(`${api.url}/v1/onboarding/applicants/${applied.body.id}/documents/${upload.body.id}`, { headers: { authorization: `Bearer ${officer}` } });
    expect(file.headers.get("content-type")).toMatch(/^image\/png/u);
    expect(Buffer.from(await file.arrayBuffer()).equals(TINY_PNG)).toBe(true);
  });

  it("refuses bad documents and requests, changing nothing", async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const token = await api.signIn(wallet);
    expect((await api.call("GET", "/v1/onboarding/application", { token })).status).toBe(404);
    const noApplication = await api.call("POST", "/v1/onboarding/application/submit", { token });
    expect(noApplication).toMatchObject({ status: 404, body: { error: { message: expect.stringMatching(/no application/u) } } });
    const badApplication = await api.call("POST", "/v1/onboarding/application", { token, body: { kind: "individual", surname: "", birthDate: "yesterday" } });
    expect(badApplication.status).toBe(400);
    expect(badApplication.body.error.message).toMatch(/surname/u);

    await api.call("POST", "/v1/onboarding/application", {
      token,
      body: { kind: "individual", surname: "Berg", givenNames: "Nils", birthDate: "1980-01-01", nationality: "NO" },
    });
    const mrz = passportMrz({ surname: "BERG", givenNames: "NILS", documentNumber: "N1", nationality: "NOR", birthDate: "1980-01-01", expiryDate: futureIso(3) });
    const upload = (body: Record<string, unknown>) => api.call("POST", "/v1/onboarding/application/documents", { token, body });
    const oversized = await upload({ type: "passport", mimeType: "image/png", mrz, contentBase64: Buffer.alloc(5 * 1024 * 1024).toString("base64") });
    expect(oversized.status).toBe(413);
    const mislabelled = await upload({ type: "passport", mimeType: "image/png", mrz, contentBase64: TINY_PDF.toString("base64") });
    expect(mislabelled).toMatchObject({ status: 400, body: { error: { code: "DOCUMENT_MALFORMED" } } });
    const notBase64 = await upload({ type: "passport", mimeType: "image/png", mrz, contentBase64: "%%%" });
    expect(notBase64.status).toBe(400);
    const badMrz = await upload({ type: "passport", mimeType: "image/png", mrz: "not an mrz", contentBase64: TINY_PNG.toString("base64") });
    expect(badMrz).toMatchObject({ status: 400, body: { error: { code: "DOCUMENT_MALFORMED" } } });
    const unknownType = await upload({ type: "selfie", mimeType: "image/png", contentBase64: TINY_PNG.toString("base64") });
    expect(unknownType.status).toBe(400);
    const own = await api.call("GET", "/v1/onboarding/application", { token });
    expect(own.body.documents).toEqual([]);
    expect(own.body.applicant.state).toBe("applied");

    const unknownCase = await api.call("POST", "/v1/onboarding/cases/999999/resolve", { token: officer, body: { decision: "clear", reason: "x" } });
    expect(unknownCase.status).toBe(404);
    const badId = await api.call("GET", "/v1/onboarding/applicants/not-a-uuid", { token: officer });
    expect(badId.status).toBe(400);
  });
});
