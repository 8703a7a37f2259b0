import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verraSerialFormat } from "../verra";
import { goldStandardSerialFormat } from "../goldStandard";
import { cctsSerialFormat } from "../ccts";
import { OperationRejection } from "./errors";
import { RegistryLedger, type Issuance } from "./ledger";
import { rangeQuantity } from "./ranges";
import { createSeededRandom } from "./rng";
import { createAccountBodySchema, createProjectBodySchema, issueBodySchema } from "./wire";
import type { RegistryId } from "../../domain";

function newLedger(seed = 3): RegistryLedger {
  return new RegistryLedger({ random: createSeededRandom(seed, "ledger"), now: () => new Date("2026-01-15T10:00:00Z") });
}

function seed(ledger: RegistryLedger, registry: RegistryId, quantity: number, projectInput: Record<string, unknown> = {}, vintage?: [string, string]) {
  const account = ledger.createAccount(createAccountBodySchema.parse({ registry, name: "Holder", country: registry === "CCTS" ? "IN" : "ET" }));
  const project = ledger.createProject(
    createProjectBodySchema.parse({ registry, name: "P", country: registry === "CCTS" ? "IN" : "ET", sectoralScope: 14, projectTypeCode: 16, ...projectInput }),
  );
  const [vintageStart, vintageEnd] = vintage ?? { VERRA: ["2020-01-01", "2020-12-31"], GOLD_STANDARD: ["2025-01-01", "2025-12-31"], CCTS: ["2025-04-01", "2026-03-31"] }[registry];
  const issuance = ledger.issue(issueBodySchema.parse({ registry, projectId: project.id, accountId: account.id, quantity, vintageStart, vintageEnd }));
  return { account, project, issuance };
}

function fullSerial(ledger: RegistryLedger, issuance: Issuance): string {
  return ledger.serialNumberOf(issuance, { start: issuance.serialStart, end: issuance.serialEnd });
}

describe("serial numbers of issuances", () => {
  it("writes Verra serials in the real layout, with block numbers unique registry-wide", () => {
    const ledger = newLedger();
    const first = seed(ledger, "VERRA", 425, { id: "1340" }).issuance;
    const second = seed(ledger, "VERRA", 100).issuance;
    const serial = fullSerial(ledger, first);
    expect(serial).toMatch(/^\d+-\d+-\d+-VCS-VCU-\d+-VER-ET-14-1340-01012020-31122020-0$/);
    const parsed = verraSerialFormat.parse(serial);
    expect(parsed.quantity).toBe(425n);
    expect(parsed.serialScope).toBe(0n);
    expect(second.serialStart).toBe(first.serialEnd + 1n);
    expect(second.batchId).toBe(String(Number(first.batchId) + 1));
  });

  it("reproduces the real Verra example from its parts", () => {
    const ledger = newLedger();
    const { issuance } = seed(ledger, "VERRA", 10, { id: "1340" });
    const example = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1";
    const withExampleParts = { ...issuance, descriptor: { ...issuance.descriptor, batchId: "19385", verraCode: "1507", hasCertifications: true } };
    expect(ledger.serialNumberOf(withExampleParts, { start: 941467007n, end: 941467431n })).toBe(example);
  });

  it("writes Gold Standard serials numbered from 1 in each batch (scope = batch id)", () => {
    const ledger = newLedger();
    const { issuance } = seed(ledger, "GOLD_STANDARD", 5463, { id: "GS11603", country: "KE" });
    const serial = fullSerial(ledger, issuance);
    expect(serial).toBe(`GS1-1-KE-GS11603-16-2025-${issuance.batchId}-1-5463`);
    expect(goldStandardSerialFormat.parse(serial).serialScope).toBe(BigInt(issuance.batchId));
    // the real example GS1-1-KE-GS11603-16-2025-30256-110-5463 is the sub-block 110–5463 of batch 30256
    const sub = ledger.serialNumberOf({ ...issuance, descriptor: { ...issuance.descriptor, batchId: "30256" } }, { start: 110n, end: 5463n });
    expect(sub).toBe("GS1-1-KE-GS11603-16-2025-30256-110-5463");
    expect(goldStandardSerialFormat.parse(sub).quantity).toBe(5354n);
  });

  it("writes CCTS serials numbered per compliance year (scope = the year)", () => {
    const ledger = newLedger();
    const first = seed(ledger, "CCTS", 1000, { id: "ALUM0007" }).issuance;
    const second = seed(ledger, "CCTS", 50, { id: "CEM0001" }).issuance;
    const nextYear = seed(ledger, "CCTS", 5, { id: "CEM0002" }, ["2026-04-01", "2027-03-31"]).issuance;
    expect(fullSerial(ledger, first)).toBe("IN-CCC-2025-ALUM0007-1-1000");
    expect(fullSerial(ledger, second)).toBe("IN-CCC-2025-CEM0001-1001-1050");
    expect(fullSerial(ledger, nextYear)).toBe("IN-CCC-2026-CEM0002-1-5");
    expect(cctsSerialFormat.parse(fullSerial(ledger, second)).serialScope).toBe(2025n);
  });

  it("finds the issuance a serial string points into, and refuses strings it would not print", () => {
    const ledger = newLedger();
    const { issuance } = seed(ledger, "VERRA", 100, { id: "1340" });
    const sub = ledger.serialNumberOf(issuance, { start: issuance.serialStart + 5n, end: issuance.serialStart + 9n });
    const found = ledger.locateSerialNumber(sub);
    expect(found.found && found.issuance.id).toBe(issuance.id);
    expect(ledger.locateSerialNumber(sub.replace("-ET-", "-KE-")).found).toBe(false);
    expect(ledger.locateSerialNumber("not-a-serial")).toMatchObject({ found: false, reason: expect.stringMatching(/not a Verra, Gold Standard or CCTS serial/) });
  });

  it("draws the same numbers from the same seed", () => {
    const a = seed(newLedger(11), "VERRA", 10).issuance;
    const b = seed(newLedger(11), "VERRA", 10).issuance;
    expect([a.batchId, a.serialStart, a.descriptor.verraCode]).toEqual([b.batchId, b.serialStart, b.descriptor.verraCode]);
  });
});

describe("splitting blocks", () => {
  it("moves a quantity first-in first-out from the block start and an exact range elsewhere", () => {
    const ledger = newLedger();
    const { account, issuance } = seed(ledger, "VERRA", 100);
    const other = ledger.createAccount(createAccountBodySchema.parse({ registry: "VERRA", name: "Other", country: "GB" }));
    const start = issuance.serialStart;
    const fifo = ledger.transferUnits(ledger.selectUnits(account.id, { issuanceId: issuance.id, quantity: 30n }), other.id);
    expect(fifo.ranges.map((r) => [r.start - start, r.end - start])).toEqual([[0n, 29n]]);
    expect(fifo.splitSerials).toEqual([fullSerial(ledger, issuance)]);
    const exact = ledger.transferUnits(
      ledger.selectUnits(account.id, { issuanceId: issuance.id, serialStart: start + 50n, serialEnd: start + 59n }),
      other.id,
    );
    expect(exact.ranges.map((r) => [r.start - start, r.end - start])).toEqual([[50n, 59n]]);
    expect(ledger.holdingsOf(account.id).map((lot) => [lot.start - start, lot.end - start])).toEqual([
      [30n, 49n],
      [60n, 99n],
    ]);
    expect(() => ledger.selectUnits(account.id, { issuanceId: issuance.id, serialStart: start + 45n, serialEnd: start + 55n })).toThrow(
      OperationRejection,
    );
  });

  it("property: any sequence of moves keeps the lots a partition of the block, conserving every account's total", () => {
    const accountCount = 4;
    const move = fc.record({
      from: fc.nat({ max: accountCount - 1 }),
      to: fc.nat({ max: accountCount - 1 }),
      exact: fc.boolean(),
      a: fc.nat({ max: 499 }),
      b: fc.nat({ max: 499 }),
    });
    fc.assert(
      fc.property(fc.array(move, { maxLength: 40 }), (moves) => {
        const ledger = newLedger();
        const { account, issuance } = seed(ledger, "GOLD_STANDARD", 500);
        const accounts = [account.id];
        for (let i = 1; i < accountCount; i++) {
          accounts.push(ledger.createAccount(createAccountBodySchema.parse({ registry: "GOLD_STANDARD", name: `A${i}`, country: "KE" })).id);
        }
        const totals = new Map(accounts.map((id, i) => [id, i === 0 ? 500n : 0n]));
        for (const m of moves) {
          const from = accounts[m.from];
          const to = accounts[m.to];
          const low = BigInt(Math.min(m.a, m.b)) + 1n;
          const high = BigInt(Math.max(m.a, m.b)) + 1n;
          const selection = m.exact ? { issuanceId: issuance.id, serialStart: low, serialEnd: high } : { issuanceId: issuance.id, quantity: high - low + 1n };
          let moved: bigint;
          try {
            moved = ledger
              .transferUnits(ledger.selectUnits(from, selection), to)
              .ranges.reduce((sum, range) => sum + rangeQuantity(range), 0n);
          } catch (error) {
            expect(error).toBeInstanceOf(OperationRejection);
            continue;
          }
          expect(moved).toBe(high - low + 1n);
          totals.set(from, totals.get(from)! - moved);
          totals.set(to, totals.get(to)! + moved);
        }
        const lots = ledger.lotsOfIssuance(issuance.id);
        expect(lots[0].start).toBe(1n);
        expect(lots.at(-1)!.end).toBe(500n);
        lots.forEach((lot, i) => {
          expect(lot.start <= lot.end).toBe(true);
          if (i > 0) expect(lot.start).toBe(lots[i - 1].end + 1n);
        });
        for (const id of accounts) {
          const held = ledger.holdingsOf(id).reduce((sum, lot) => sum + rangeQuantity(lot), 0n);
          expect(held).toBe(totals.get(id));
        }
      }),
      { numRuns: 150 },
    );
  });
});
