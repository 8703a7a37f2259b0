import { Writable } from "node:stream";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWorld, type TestWorld, type TokenizedBlock } from "../custody/testWorld";
import { testBatchInfo } from "../testing";
import { listIncidents, reconcile, reconciliationMetrics, startReconciliationJob, type ReconcileDeps, type ReconciliationReport } from "./index";

const HOUR = 3_600_000;

describe("three-way reconciliation", () => {
  let world: TestWorld;
  let aligned: TokenizedBlock;
  let ghost: TokenizedBlock;
  let ghostCertificate: bigint;
  let orphanBatch: bigint;
  const logLines: Record<string, unknown>[] = [];
  const metricsRegistry = new Registry();
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  let clockOffsetMs = 0;
  const deps = (): ReconcileDeps => ({
    pool: world.db.pool,
    publicClient: world.chain.publicClient,
    deployment: world.chain.deployment,
    registries: world.registries,
    log,
    metrics: reconciliationMetrics(metricsRegistry),
    now: () => new Date(Date.now() + clockOffsetMs),
  });
  const kinds = (report: ReconciliationReport) => report.differences.map((d) => `${d.kind}:${d.details.batchId ?? "-"}`).sort();

  beforeAll(async () => {
    world = await startTestWorld();
    const [alice, bob] = world.chain.users;
    // In step: locked at the registry, tokenized, 5 retired at both ends and confirmed on-chain.
    aligned = await world.lockAndTokenize(alice.address, 100);
    await world.retire(alice, aligned, 5n);
    // Ghost credit: retired on-chain, the registry never heard of it.
    ghost = await world.lockAndTokenize(alice.address, 50);
    ghostCertificate = (await world.retire(alice, ghost, 7n, { atRegistry: false })).certificateId;
    // Orphan token: minted with a valid quorum attestation for a serial block the registry never locked.
    await world.ledger.kyc(bob.address);
    orphanBatch = (await world.ledger.tokenize(testBatchInfo(900_000_001n, 900_000_020n), bob.address)).batchId;
    await world.index();
  }, 180_000);
  afterAll(() => world?.close());

  it("reports an orphan token at once, and a ghost credit only once the registry lag has passed", async () => {
    const fresh = await reconcile(deps());
    expect(fresh.errors).toEqual([]);
    expect(kinds(fresh)).toEqual([`orphan_token:${orphanBatch}`]);
    const orphan = fresh.differences[0];
    expect(orphan).toMatchObject({ severity: "critical", pastSla: true });
    expect(orphan.message).toMatch(/20 on-chain units \(serials 900000001-900000020\) have no registry lock behind them: the VERRA registry does not know serial/);
    expect(fresh.incidentsRaised.map((i) => i.kind)).toEqual(["orphan_token"]);

    clockOffsetMs = 7 * HOUR;
    const later = await reconcile(deps());
    expect(kinds(later)).toEqual([`ghost_credit:${ghost.batchId}`, `orphan_token:${orphanBatch}`]);
    const ghostDifference = later.differences.find((d) => d.kind === "ghost_credit");
    expect(ghostDifference).toMatchObject({
      severity: "critical",
      pastSla: false,
      details: { certificateId: ghostCertificate.toString(), quantity: "7", serials: `${ghost.serialStart}-${ghost.serialStart + 6n}`, certificateStatus: "pending" },
    });
    expect(ghostDifference?.ageMs).toBeGreaterThan(6.9 * HOUR);
    // The orphan's incident is still open: no second one.
    expect(later.incidentsRaised).toEqual([]);

    clockOffsetMs = 31 * HOUR;
    const overdue = await reconcile(deps());
    expect(overdue.incidentsRaised.map((i) => [i.kind, i.severity])).toEqual([["ghost_credit", "critical"]]);
    const open = await listIncidents(world.db.pool, world.chain.chainId);
    expect(open.map((i) => i.kind).sort()).toEqual(["ghost_credit", "orphan_token"]);
    expect(logLines.some((l) => l.level === 50 && String(l.msg).startsWith("reconciliation incident: certificate"))).toBe(true);
    const metrics = await metricsRegistry.getSingleMetricAsString("carbonclear_reconciliation_incidents_total");
    expect(metrics).toMatch(/carbonclear_reconciliation_incidents_total\{kind="ghost_credit",severity="critical"\} 1/);
    expect(metrics).toMatch(/carbonclear_reconciliation_incidents_total\{kind="orphan_token",severity="critical"\} 1/);
  });

  it("resolves the ghost credit's incident once the registry retires the serials", async () => {
    const adapter = world.registries("VERRA");
    const op = await adapter?.submitRetirement({
      requestId: `late-retire-${ghostCertificate}`,
      serial: ghost.serialNumber,
      range: { first: String(ghost.serialStart), last: String(ghost.serialStart + 6n) },
      custodyAccount: ghost.holderAccount,
      beneficiaryName: "Acme Corp",
      beneficiaryCommitment: null,
      reason: "late",
      periodStart: "2025-01-01",
      periodEnd: "2025-12-31",
      consumptionCountry: "US",
      certificateId: ghostCertificate.toString(),
      chainId: world.chain.chainId,
    });
    expect(op).toBeDefined();
    world.sim.control.tick();
    const report = await reconcile(deps());
    expect(kinds(report)).toEqual([`orphan_token:${orphanBatch}`]);
    const resolved = await listIncidents(world.db.pool, world.chain.chainId, { status: "resolved" });
    expect(resolved.map((i) => i.kind)).toEqual(["ghost_credit"]);
    expect(resolved[0].resolvedAt).toBeInstanceOf(Date);
  });

  it("reports a tampered read-model balance as a balance mismatch against the chain at the indexed block", async () => {
    const [alice] = world.chain.users;
    await world.db.pool.query("UPDATE balances SET available = available + 5 WHERE chain_id = $1 AND wallet = $2 AND batch_id = $3", [
      world.chain.chainId,
      alice.address.toLowerCase(),
      aligned.batchId.toString(),
    ]);
    const report = await reconcile(deps());
    const mismatches = report.differences.filter((d) => d.kind === "balance_mismatch");
    expect(mismatches.map((d) => d.key).sort()).toEqual([`balance_mismatch:${aligned.batchId}:${alice.address.toLowerCase()}`, `balance_mismatch:${aligned.batchId}:supply`]);
    expect(mismatches.find((d) => d.details.wallet !== undefined)).toMatchObject({
      severity: "high",
      pastSla: false,
      details: { readModel: "100", chain: "95" },
    });
    // Past the 15-minute SLA (first seen above): an incident.
    clockOffsetMs += 20 * 60_000;
    const later = await reconcile(deps());
    expect(later.incidentsRaised.map((i) => i.kind).sort()).toEqual(["balance_mismatch", "balance_mismatch"]);
    await world.db.pool.query("UPDATE balances SET available = available - 5 WHERE chain_id = $1 AND wallet = $2 AND batch_id = $3", [
      world.chain.chainId,
      alice.address.toLowerCase(),
      aligned.batchId.toString(),
    ]);
    const repaired = await reconcile(deps());
    expect(repaired.differences.filter((d) => d.kind === "balance_mismatch")).toEqual([]);
  });

  it("reports a read model that trails the head by more than the allowed blocks as stale, without calling its balances wrong", async () => {
    const [alice, bob] = world.chain.users;
    // A real transfer the read model has not seen yet: its balances are behind, not wrong.
    await world.ledger.transfer(alice, bob.address, aligned.batchId, 1n);
    await world.chain.mine(25);
    const report = await reconcile(deps());
    expect(kinds(report)).toEqual([`orphan_token:${orphanBatch}`, "stale_read_model:-"]);
    expect(report.differences.find((d) => d.kind === "stale_read_model")?.message).toMatch(/the read model is 2\d blocks behind the chain/);
    await world.index();
    const caughtUp = await reconcile(deps());
    expect(kinds(caughtUp)).toEqual([`orphan_token:${orphanBatch}`]);
  });

  it("says what it could not compare when the registry does not answer, instead of inventing differences", async () => {
    const { registryAdaptersFor } = await import("../custody/registryView");
    const report = await reconcile({ ...deps(), registries: registryAdaptersFor("http://127.0.0.1:1", { timeoutMs: 300 }) });
    expect(report.differences.filter((d) => d.kind !== "stale_read_model")).toEqual([]);
    expect(report.errors).toHaveLength(3);
    expect(report.errors[0]).toMatch(/the VERRA registry could not be compared/);
  });

  it("runs on a schedule until stopped", async () => {
    const reports: ReconciliationReport[] = [];
    const job = startReconciliationJob({ ...deps(), intervalMs: 1_000, onRun: (r) => reports.push(r) });
    const deadline = Date.now() + 20_000;
    while (reports.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await job.stop();
    expect(reports.length).toBeGreaterThanOrEqual(2);
    const after = reports.length;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(reports.length).toBe(after);
    expect(() => startReconciliationJob({ ...deps(), intervalMs: 10 })).toThrow(/intervalMs must be at least 1000/);
  }, 30_000);
});
