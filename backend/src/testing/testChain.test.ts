import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { identityRegistryAbi, oracleQuorumAbi, retirementCertificateAbi } from "../chain/abis";
import { ledgerActions, startTestChain, testBatchInfo, testClaim, type LedgerActions, type TestChain } from "./index";

describe("startTestChain", () => {
  let chain: TestChain;
  let ledger: LedgerActions;

  beforeAll(async () => {
    chain = await startTestChain();
    ledger = ledgerActions(chain);
  });
  afterAll(async () => {
    await chain?.close();
  });

  it("serves a chain over JSON-RPC with the ledger deployed and a 2-of-3 quorum", async () => {
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(chain.chainId).toBe(31337);
    expect(await chain.publicClient.getChainId()).toBe(31337);
    expect(chain.accounts).toHaveLength(20);
    expect(chain.admin.address).toBe(getAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    expect(chain.deployment.roles.compliance).toBe(chain.compliance.address);
    const signers = await chain.publicClient.readContract({ address: chain.deployment.contracts.quorum, abi: oracleQuorumAbi, functionName: "signers" });
    expect(signers).toEqual(chain.oracleKeys.map((k) => privateKeyToAccount(k).address));
    expect(await chain.publicClient.readContract({ address: chain.deployment.contracts.quorum, abi: oracleQuorumAbi, functionName: "threshold" })).toBe(2);
    expect(chain.deploymentBlock).toBe(await chain.blockNumber());
    expect(chain.deployment.contracts.escrow).toBeDefined();
    const escrowIdentity = await chain.publicClient.readContract({
      address: chain.deployment.contracts.identity,
      abi: identityRegistryAbi,
      functionName: "identityOf",
      args: [chain.deployment.contracts.escrow!],
    });
    expect(escrowIdentity).toMatchObject({ status: 2, entityType: 4 });
  });

  it("tokenizes, transfers, retires, confirms and redeems through the viem helpers", async () => {
    const [alice, bob] = chain.users;
    await ledger.kyc(alice.address);
    await ledger.kyc(bob.address, { country: "DE" });
    const { batchId } = await ledger.tokenize(testBatchInfo(1_000n, 1_099n), alice.address);
    expect(batchId).toBe(1n);
    await ledger.transfer(alice, bob.address, batchId, 30n);
    const retired = await ledger.retire(bob, batchId, 10n, testClaim({ beneficiaryName: "Bob GmbH" }));
    expect([retired.firstSerial, retired.lastSerial]).toEqual([1_000n, 1_009n]);
    const confirmation = await ledger.confirmRetirement(retired.certificateId);
    const certificate = await chain.publicClient.readContract({
      address: chain.deployment.contracts.certificate,
      abi: retirementCertificateAbi,
      functionName: "certificate",
      args: [retired.certificateId],
    });
    expect(certificate.status).toBe(2);
    expect(certificate.registryRef).toBe(confirmation.registryRef);
    const redemption = await ledger.redeem(alice, batchId, 5n);
    expect([redemption.firstSerial, redemption.lastSerial]).toEqual([1_095n, 1_099n]);
    await ledger.finalizeRedemption(redemption.redemptionId, { accepted: false });
    expect(await ledger.balanceOf(alice.address, batchId)).toBe(70n);
    expect(await ledger.balanceOf(bob.address, batchId)).toBe(20n);
  });

  it("rejects an attestation below the threshold with the contract's error", async () => {
    const [alice] = chain.users;
    await expect(
      ledger.tokenize(testBatchInfo(5_000n, 5_009n), alice.address, { attest: { signers: chain.oracleKeys.slice(0, 1) } }),
    ).rejects.toThrow(/InsufficientSignatures/);
  });

  it("snapshots, reverts and mines", async () => {
    const [alice, bob] = chain.users;
    const before = await chain.blockNumber();
    const snapshot = await chain.snapshot();
    await ledger.transfer(alice, bob.address, 1n, 1n);
    await chain.mine(3);
    expect(await chain.blockNumber()).toBe(before + 4n);
    await chain.revert(snapshot);
    expect(await chain.blockNumber()).toBe(before);
    expect(await ledger.balanceOf(bob.address, 1n)).toBe(20n);
    await expect(chain.revert(snapshot)).rejects.toThrow(/evm_revert/);
    const t0 = await chain.latestTimestamp();
    await chain.increaseTime(86_400);
    expect((await chain.latestTimestamp()) - t0).toBeGreaterThanOrEqual(86_400n);
  });

  it("starts independent chains in one process", async () => {
    const other = await startTestChain({ oracles: 4, threshold: 3 });
    try {
      expect(other.rpcUrl).not.toBe(chain.rpcUrl);
      expect(other.oracleKeys).toHaveLength(4);
      // Same deployer and nonces: same addresses, but a fresh ledger without the first chain's batch.
      expect(other.deployment.contracts.credit).toBe(chain.deployment.contracts.credit);
      expect(await ledgerActions(other).balanceOf(chain.users[0].address, 1n)).toBe(0n);
      expect(await ledger.balanceOf(chain.users[0].address, 1n)).toBe(70n);
    } finally {
      await other.close();
    }
  });
});
