import { parse } from "csv-parse/sync";
import { extractText, getDocumentProxy } from "unpdf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWorld, type TestWorld, type TokenizedBlock } from "../custody/testWorld";
import { claimsCsv, claimsPdf, claimsReport, csvField, InvalidReportQueryError, verifyCertificate } from "./index";

describe("claims reports and certificate verification", () => {
  let world: TestWorld;
  let block: TokenizedBlock;
  const ids: Record<"confirmed" | "pending" | "rejected" | "other", bigint> = { confirmed: 0n, pending: 0n, rejected: 0n, other: 0n };

  beforeAll(async () => {
    world = await startTestWorld();
    const [alice] = world.chain.users;
    block = await world.lockAndTokenize(alice.address, 100);
    ids.confirmed = (await world.retire(alice, block, 10n, { claim: { beneficiaryName: "Acme, \"Corp\"" } })).certificateId;
    ids.pending = (await world.retire(alice, block, 5n, { atRegistry: false, claim: { beneficiaryName: "Acme, \"Corp\"" } })).certificateId;
    ids.rejected = (await world.retire(alice, block, 3n, { atRegistry: false, claim: { beneficiaryName: "Acme, \"Corp\"" } })).certificateId;
    await world.ledger.confirmRetirement(ids.rejected, { accepted: false });
    ids.other = (await world.retire(alice, block, 2n, { claim: { beneficiaryName: "Other Co", periodStart: "2024-01-01", periodEnd: "2024-12-31" } })).certificateId;
    await world.index();
  }, 180_000);
  afterAll(() => world?.close());

  const report = (beneficiary = 'Acme, "Corp"', from = "2025-01-01", to = "2025-12-31") =>
    claimsReport(world.db.pool, world.chain.chainId, { beneficiary, from, to } as Parameters<typeof claimsReport>[2], new Date("2026-01-15T00:00:00Z"));

  it("counts only registry-confirmed retirements and lists pending and rejected ones separately", async () => {
    const r = await report();
    expect(r.confirmed.map((l) => l.certificateId)).toEqual([ids.confirmed]);
    expect(r.pending.map((l) => l.certificateId)).toEqual([ids.pending]);
    expect(r.rejected.map((l) => l.certificateId)).toEqual([ids.rejected]);
    expect(r.totals).toEqual({ confirmedQuantity: 10n, confirmedCount: 1, pendingQuantity: 5n, pendingCount: 1, rejectedQuantity: 3n, rejectedCount: 1 });
    expect(r.confirmed[0]).toMatchObject({
      registry: "VERRA",
      labels: ["CCP"],
      quantity: 10n,
      firstSerial: block.serialStart,
      lastSerial: block.serialStart + 9n,
      serialBlock: block.serialNumber,
      vintageStart: "2020-01-01",
      claimPeriodStart: "2025-01-01",
      registryStatus: "registry-confirmed",
    });
    expect(r.indexedBlock).not.toBeNull();
  });

  it("selects by reporting period and by wallet address, and rejects a reversed period", async () => {
    expect((await report('Acme, "Corp"', "2024-01-01", "2024-12-31")).totals.confirmedCount).toBe(0);
    expect((await report("Other Co", "2024-06-01", "2024-06-30")).confirmed.map((l) => l.certificateId)).toEqual([ids.other]);
    const byWallet = await report(world.chain.users[0].address, "2024-01-01", "2025-12-31");
    expect(byWallet.totals).toMatchObject({ confirmedQuantity: 12n, confirmedCount: 2, pendingQuantity: 5n });
    await expect(report('Acme, "Corp"', "2025-12-31", "2025-01-01")).rejects.toBeInstanceOf(InvalidReportQueryError);
    await expect(report("  ")).rejects.toThrow(/beneficiary must be a wallet address or a beneficiary name/);
  });

  it("writes RFC 4180 CSV that a CSV parser reads back, with totals of confirmed tonnes only", async () => {
    const csv = claimsCsv(await report());
    expect(csv.endsWith("\r\n")).toBe(true);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.section, r.quantity_tco2e])).toEqual([
      ["confirmed", "10"],
      ["pending", "5"],
      ["rejected", "3"],
      ["total_confirmed", "10"],
      ["total_pending_not_counted", "5"],
      ["total_rejected_not_counted", "3"],
    ]);
    expect(rows[0].beneficiary_name).toBe('Acme, "Corp"');
    expect(rows[0].certificate_id).toBe(ids.confirmed.toString());
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
  });

  it("renders a PDF whose text carries the totals and every certificate", async () => {
    const pdf = await claimsPdf(await report());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    expect(text).toContain("Registry-confirmed (claimable): 10 tCO2e in 1 retirements");
    expect(text).toContain("Pending registry confirmation (not counted): 5 tCO2e in 1 retirements");
    for (const id of [ids.confirmed, ids.pending, ids.rejected]) expect(text).toContain(id.toString());
  });

  it("verifies a certificate id against the chain alone", async () => {
    const [alice] = world.chain.users;
    // The read model is not consulted: wiping it changes nothing.
    await world.db.pool.query("DELETE FROM certificates");
    const confirmed = await verifyCertificate(world.chain.publicClient, world.chain.deployment, ids.confirmed);
    expect(confirmed).toMatchObject({
      exists: true,
      valid: true,
      owner: alice.address,
      batchId: block.batchId,
      firstSerial: block.serialStart,
      lastSerial: block.serialStart + 9n,
      quantity: 10n,
      status: "registry-confirmed",
      checks: { idMatchesSerials: true, claimMatchesDetailsHash: true, nonTransferable: true },
      claim: { beneficiaryName: 'Acme, "Corp"', periodStart: 20250101, consumptionCountry: "US" },
      batch: { registry: "VERRA", serialNumber: block.serialNumber },
    });
    expect((await verifyCertificate(world.chain.publicClient, world.chain.deployment, ids.pending)).exists && true).toBe(true);
    expect(await verifyCertificate(world.chain.publicClient, world.chain.deployment, 12345n)).toEqual({
      certificateId: 12345n,
      exists: false,
      message: `certificate 12345 does not exist on chain ${world.chain.chainId}`,
    });
  });
});
