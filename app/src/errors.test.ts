import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BaseError, ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, UserRejectedRequestError, type Abi } from "viem";
import { carbonCreditAbi, identityRegistryAbi, settlementEscrowAbi } from "../../backend/src/chain/abis";
import { ApiCallError } from "./api";
import { humanError } from "./errors";
import { formatUsd, parseDay, parseUsd } from "./format";

const WALLET = "0x1111111111111111111111111111111111111111";

/** The error viem throws when a simulated call reverts with `errorName(args)`. */
function revert(abi: Abi, errorName: string, args: readonly unknown[], calledAbi: Abi = abi): BaseError {
  const data = encodeErrorResult({ abi, errorName, args } as never);
  const cause = new ContractFunctionRevertedError({ abi: calledAbi, data, functionName: "fill" });
  return new ContractFunctionExecutionError(cause, { abi: calledAbi, functionName: "fill", args: [] });
}

describe("humanError", () => {
  it("explains the ledger's custom errors in sentences, never as a raw revert", () => {
    const cases: Array<[Abi, string, readonly unknown[], string]> = [
      [identityRegistryAbi, "NotEligible", [WALLET, 4], `Not eligible: wallet ${WALLET} has a KYC check that has expired.`],
      [carbonCreditAbi, "ERC1155InsufficientBalance", [WALLET, 3n, 10n, 1n], "Insufficient balance: you hold 3 t of this batch but 10 t are needed."],
      [settlementEscrowAbi, "OrderExpired", [1_700_000_000n], "Order expired: it could be filled until 2023-11-14 22:13:20 UTC."],
      [settlementEscrowAbi, "Overfill", [50n, 20n], "Only 20 t are left in this order; you asked for 50 t."],
      [settlementEscrowAbi, "BelowMinFill", [2n, 5n], "This order's minimum fill is 5 t; 2 t is too little."],
    ];
    for (const [abi, name, args, sentence] of cases) {
      const message = humanError(revert(abi, name, args));
      expect(message).toBe(sentence);
      expect(message).not.toMatch(/\b0x[0-9a-f]{8}\b|reverted|execution/i);
    }
  });

  it("decodes an error raised by another contract than the one called (a fill refused by the identity registry)", () => {
    const message = humanError(revert(identityRegistryAbi, "NotEligible", [WALLET, 2], settlementEscrowAbi));
    expect(message).toBe(`Not eligible: wallet ${WALLET} is frozen by compliance.`);
  });

  it("names an unmapped contract error in words instead of dumping it", () => {
    expect(humanError(revert(settlementEscrowAbi, "MissingRegistryRef", []))).toBe(
      "The transaction was refused by the contract (missing registry ref).",
    );
  });

  it("recognises a rejected wallet prompt and API errors", () => {
    expect(humanError(new UserRejectedRequestError(new Error("User denied")))).toBe("You rejected the request in your wallet.");
    expect(humanError(new ApiCallError(403, "FORBIDDEN", "this needs the compliance role"))).toBe("this needs the compliance role");
  });
});

describe("amount and date parsing", () => {
  it("parseUsd and formatUsd round-trip whole cents", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (cents) => {
        const units = cents * 10_000n;
        const text = formatUsd(units).replace(/[$,]/g, "");
        expect(parseUsd(text)).toBe(units);
      }),
    );
  });

  it("refuses malformed amounts and impossible dates", () => {
    for (const bad of ["", "-1", "1.1234567", "abc", "1e3", "1,000"]) expect(parseUsd(bad)).toBeUndefined();
    expect(parseDay("2025-02-30")).toBeUndefined();
    expect(parseDay("2025-13-01")).toBeUndefined();
    expect(parseDay("2024-02-29")).toBe(20240229);
  });
});
