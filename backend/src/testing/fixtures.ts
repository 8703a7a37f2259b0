/**
 * Test data in the exact on-chain shapes, built through the domain encoders (`toBatchInfo`,
 * `toRetirementClaimTuple`) so tests exercise the same conversions as the service.
 */
import { keccak256, toBytes, type Hex } from "viem";
import {
  toBatchInfo,
  toRetirementClaimTuple,
  type BatchInfo,
  type BatchInput,
  type RetirementClaimInput,
  type RetirementClaimTuple,
} from "../domain";

/** A Verra-style batch over serials `[serialStart, serialEnd]`; `overrides` use the domain's friendly form. */
export function testBatchInfo(serialStart: bigint, serialEnd: bigint, overrides: Partial<BatchInput> = {}): BatchInfo {
  return toBatchInfo({
    registry: "VERRA",
    projectId: "1340",
    methodology: "VM0042",
    serialScope: 0n,
    serialStart,
    serialEnd,
    vintageStart: "2020-01-01",
    vintageEnd: "2020-12-31",
    country: "ET",
    jurisdiction: null,
    labels: ["CCP"],
    correspondingAdjustment: "Unknown",
    mrvDatasetId: null,
    serialNumber: `19385-${serialStart}-${serialEnd}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1`,
    ...overrides,
  });
}

/** A named retirement claim for reporting year 2025, consumed in the US. */
export function testClaim(overrides: Partial<RetirementClaimInput> = {}): RetirementClaimTuple {
  return toRetirementClaimTuple({
    beneficiaryName: "Acme Corp",
    reason: "Corporate Emissions Inventory Accounting",
    periodStart: "2025-01-01",
    periodEnd: "2025-12-31",
    consumptionCountry: "US",
    ...overrides,
  });
}

/** A deterministic bytes32 reference (`keccak256(label)`), e.g. a registry lock or retirement id. */
export function testRef(label: string): Hex {
  return keccak256(toBytes(label));
}
