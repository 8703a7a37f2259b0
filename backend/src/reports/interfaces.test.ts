/** The HTTP routes and `carbonclear` commands of custody, reconciliation, audit and reports, end to end. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiForTest, type TestApi } from "../api/testing";
import { writeDeployment } from "../chain/deployment";
import { EXIT } from "../cli/command";
import { runCli } from "../cli/main";
import { loadConfig } from "../config";
import { custodyApi } from "../custody/api";
import { startTestWorld, type TestWorld, type TokenizedBlock } from "../custody/testWorld";
import { openDatabase, runMigrations } from "../db";
import { indexOnce } from "../indexer";
import { reconcile } from "../reconciliation";
import { reconciliationApi } from "../reconciliation/api";
import { testBatchInfo } from "../testing";
import { reportsApi } from "./api";

describe("custody, reconciliation, audit and report interfaces", () => {
  let world: TestWorld;
  let api: TestApi;
  let block: TokenizedBlock;
  let certificateId: bigint;
  let orphanBatch: bigint;
  const dir = mkdtempSync(path.join(tmpdir(), "carbonclear-w7-"));
  let env: NodeJS.ProcessEnv;

  async function cli(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const chunks = { out: "", err: "" };
    stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
    stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
    const code = await runCli(argv, { env: { ...env, ...extraEnv }, stdout, stderr });
    return { code, ...chunks };
  }

  /** Indexes the chain into the CLI's own (PGlite data dir) database. */
  async function indexCliDatabase() {
    const db = await openDatabase(loadConfig(env));
    try {
      await runMigrations(db.pool);
      await indexOnce({ pool: db.pool, publicClient: world.chain.publicClient, deployment: world.chain.deployment, confirmations: 0 });
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    world = await startTestWorld();
    const [alice] = world.chain.users;
    block = await world.lockAndTokenize(alice.address, 100);
    certificateId = (await world.retire(alice, block, 10n)).certificateId;
    // An orphan token (batch 2): minted on a quorum attestation for serials the registry never issued.
    const [, bob] = world.chain.users;
    await world.ledger.kyc(bob.address);
    orphanBatch = (await world.ledger.tokenize(testBatchInfo(800_000_001n, 800_000_005n), bob.address)).batchId;
    await world.index();
    const chainId = world.chain.chainId;
    api = await startApiForTest({
      pool: world.db.pool,
      chainId,
      modules: [
        custodyApi({ pool: world.db.pool, chainId, registries: world.registries }),
        reconciliationApi({ pool: world.db.pool, chainId }),
        reportsApi({ pool: world.db.pool, chainId, publicClient: world.chain.publicClient, deployment: world.chain.deployment }),
      ],
    });
    const deploymentFile = path.join(dir, "deployment.json");
    writeDeployment(deploymentFile, world.chain.deployment);
    env = {
      CARBONCLEAR_DATA_DIR: path.join(dir, "data"),
      RPC_URL: world.chain.rpcUrl,
      CHAIN_ID: String(chainId),
      CARBONCLEAR_DEPLOYMENT_FILE: deploymentFile,
      REGISTRY_SIM_URL: world.sim.url,
    };
    await indexCliDatabase();
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("HTTP", () => {
    it("serves custody chains publicly and names bad input", async () => {
      const batch = await api.call("GET", `/v1/custody/batches/${block.batchId}`);
      expect(batch.status).toBe(200);
      expect(batch.body.steps.map((s: { kind: string }) => s.kind)).toEqual(["tokenized", "retired", "retirement_confirmed"]);
      expect(batch.body.steps[0]).toMatchObject({ amount: "100", attestation: { epoch: "1" } });
      expect(batch.body.registry[0].view.pieces).toHaveLength(2);
      const serial = await api.call("GET", `/v1/custody/serials/VERRA/${block.serialEnd}`);
      expect(serial.body.steps.map((s: { kind: string }) => s.kind)).toEqual(["tokenized"]);
      const wallet = await api.call("GET", `/v1/custody/wallets/${world.chain.users[0].address}?limit=1`);
      expect([wallet.status, wallet.body.steps.length, typeof wallet.body.next]).toEqual([200, 1, "string"]);
      expect((await api.call("GET", "/v1/custody/batches/999")).status).toBe(404);
      const badCursor = await api.call("GET", `/v1/custody/batches/${block.batchId}?after=yesterday`);
      expect([badCursor.status, badCursor.body.error.code]).toEqual([400, "INVALID_REQUEST"]);
      expect(JSON.stringify(badCursor.body)).toContain("after");
      expect((await api.call("GET", "/v1/custody/wallets/0x12")).status).toBe(400);
      expect((await api.call("GET", "/v1/custody/serials/NOWHERE/5")).status).toBe(400);
    });

    it("serves claims reports as JSON, CSV and PDF and rejects a bad period", async () => {
      const q = "beneficiary=Acme%20Corp&from=2025-01-01&to=2025-12-31";
      const json = await api.call("GET", `/v1/reports/claims?${q}`);
      expect(json.status).toBe(200);
      expect(json.body.totals).toMatchObject({ confirmedQuantity: "10", confirmedCount: 1, pendingCount: 0 });
      const csv = await fetch(`${api.url}/v1/reports/claims?${q}&format=csv`);
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(await csv.text()).toContain(`confirmed,${certificateId},registry-confirmed,10,VERRA`);
      const pdf = await fetch(`${api.url}/v1/reports/claims?${q}&format=pdf`);
      expect(pdf.headers.get("content-type")).toBe("application/pdf");
      expect(pdf.headers.get("content-disposition")).toMatch(/attachment; filename="claims-Acme_Corp-2025-01-01-2025-12-31.pdf"/);
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");
      const reversed = await api.call("GET", "/v1/reports/claims?beneficiary=Acme&from=2025-12-31&to=2025-01-01");
      expect([reversed.status, reversed.body.error.message]).toEqual([400, "to (2025-01-01) must not be before from (2025-12-31)"]);
      const badDate = await api.call("GET", "/v1/reports/claims?beneficiary=Acme&from=2025-13-01&to=2025-12-31");
      expect(badDate.status).toBe(400);
      expect(JSON.stringify(badDate.body)).toContain("from");
    });

    it("verifies a certificate id against the chain", async () => {
      const ok = await api.call("GET", `/v1/certificates/${certificateId}/verify`);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ exists: true, valid: true, status: "registry-confirmed", quantity: "10", owner: world.chain.users[0].address });
      expect((await api.call("GET", "/v1/certificates/77/verify")).status).toBe(404);
      expect((await api.call("GET", "/v1/certificates/abc/verify")).status).toBe(400);
    });

    it("lists reconciliation incidents to verifiers only", async () => {
      await reconcile({ pool: world.db.pool, publicClient: world.chain.publicClient, deployment: world.chain.deployment, registries: world.registries });
      expect((await api.call("GET", "/v1/reconciliation/incidents")).status).toBe(401);
      const token = await api.signIn(privateKeyToAccount(`0x${"7".repeat(64)}`), ["verifier"]);
      const incidents = await api.call("GET", "/v1/reconciliation/incidents", { token });
      expect(incidents.status).toBe(200);
      expect(incidents.body.incidents).toEqual([expect.objectContaining({ kind: "orphan_token", severity: "critical", differenceKey: `orphan_token:${orphanBatch}` })]);
      const differences = await api.call("GET", "/v1/reconciliation/differences", { token });
      expect(differences.body.differences.map((d: { kind: string }) => d.kind)).toEqual(["orphan_token"]);
      expect((await api.call("GET", "/v1/reconciliation/incidents?status=maybe", { token })).status).toBe(400);
    });
  });

  describe("carbonclear", () => {
    it("custody: shows a batch, a serial and a wallet; exit 2 for nonsense and 3 for an unknown batch", async () => {
      const batch = await cli(["custody", String(block.batchId)]);
      expect(batch.code).toBe(EXIT.OK);
      expect(batch.out).toContain("tokenized");
      expect(batch.out).toContain("retirement_confirmed");
      expect(batch.out).toContain("the VERRA registry now holds");
      const serial = await cli(["--json", "custody", `VERRA:${block.serialStart}`]);
      expect(JSON.parse(serial.out).steps.map((s: { kind: string }) => s.kind)).toEqual(["tokenized", "retired", "retirement_confirmed"]);
      const bySerialString = await cli(["--json", "custody", block.serialNumber]);
      expect(JSON.parse(bySerialString.out).batches[0].batchId).toBe(String(block.batchId));
      expect((await cli(["custody", "potato"])).code).toBe(EXIT.USAGE);
      const unknown = await cli(["custody", "999"]);
      expect([unknown.code, unknown.err]).toEqual([EXIT.NOT_FOUND, expect.stringContaining("not in the read model")]);
    }, 60_000);

    it("audit: runs without ever opening the platform database, and fails (exit 5) on the chain-vs-registry difference", async () => {
      // An unreachable DATABASE_URL: the audit does not care.
      const result = await cli(["--json", "audit"], { DATABASE_URL: "postgres://nobody:x@127.0.0.1:1/none" });
      expect(result.code).toBe(EXIT.CHECK_FAILED);
      const report = JSON.parse(result.out);
      const status = Object.fromEntries(report.checks.map((c: { name: string; status: string }) => [c.name, c.status]));
      expect(status).toMatchObject({ balances: "pass", "serials-and-supply": "pass", certificates: "pass", "attestation-signatures": "pass", "registry-exports": "fail" });
      // the only failure: the orphan batch planted above, which the registry never issued
      expect(report.checks.find((c: { name: string }) => c.name === "registry-exports").failures).toEqual([
        expect.stringMatching(/^batch 2 \(19385-800000001-800000005-.*\): serials 800000001-800000005 are held on-chain but not issued-and-unretired in the VERRA export$/),
      ]);
      const human = await cli(["audit"], { DATABASE_URL: "postgres://nobody:x@127.0.0.1:1/none" });
      expect(human.out).toContain("audit FAILED");
    }, 60_000);

    it("reconcile: exit 5 with the differences, exit 2 without a registry", async () => {
      await indexCliDatabase();
      const result = await cli(["--json", "reconcile"]);
      expect(result.code).toBe(EXIT.CHECK_FAILED);
      const report = JSON.parse(result.out);
      expect(report.differences.map((d: { kind: string; key: string }) => d.key)).toEqual(["orphan_token:2"]);
      const noRegistry = await cli(["reconcile"], { REGISTRY_SIM_URL: "" });
      expect([noRegistry.code, noRegistry.err]).toEqual([EXIT.USAGE, expect.stringContaining("REGISTRY_SIM_URL is not set")]);
    }, 60_000);

    it("report claims and verify-certificate", async () => {
      const report = await cli(["--json", "report", "claims", "--beneficiary", "Acme Corp", "--from", "2025-01-01", "--to", "2025-12-31"]);
      expect(report.code).toBe(EXIT.OK);
      expect(JSON.parse(report.out).totals.confirmedQuantity).toBe("10");
      const pdfFile = path.join(dir, "claims.pdf");
      expect((await cli(["report", "claims", "--beneficiary", "Acme Corp", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "pdf", "--out", pdfFile])).code).toBe(EXIT.OK);
      expect(readFileSync(pdfFile).subarray(0, 5).toString()).toBe("%PDF-");
      expect((await cli(["report", "claims", "--beneficiary", "Acme Corp", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "pdf"])).code).toBe(EXIT.USAGE);
      expect((await cli(["report", "claims", "--beneficiary", "Acme Corp", "--from", "2025-1-1", "--to", "2025-12-31"])).code).toBe(EXIT.USAGE);
      const verified = await cli(["verify-certificate", String(certificateId)]);
      expect([verified.code, verified.out]).toEqual([EXIT.OK, expect.stringContaining("certificate verified")]);
      expect((await cli(["verify-certificate", "5"])).code).toBe(EXIT.NOT_FOUND);
      expect((await cli(["verify-certificate", "x5"])).code).toBe(EXIT.USAGE);
    }, 60_000);
  });
});
