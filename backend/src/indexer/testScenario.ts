/**
 * The ledger history the indexer tests replay: every custody path of a credit (tokenize,
 * transfer, reserve/release through a custody address, forced transfer, retire + registry
 * verdicts, redeem + registry verdicts), identity changes, a signer-set rotation and a pause.
 * Test support only.
 */
import type { Address, Hash, PrivateKeyAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ledgerActions, testBatchInfo, testClaim, testOracleKeys, type TestChain } from "../testing";

export interface ScenarioResult {
  readonly alice: PrivateKeyAccount;
  readonly bob: PrivateKeyAccount;
  readonly carol: PrivateKeyAccount;
  /** A custody wallet (escrow stand-in): its holdings are `reserved`. */
  readonly custody: PrivateKeyAccount;
  readonly batchA: bigint;
  readonly batchB: bigint;
  readonly batchC: bigint;
  readonly tokenizeA: { readonly attestation: Hash; readonly lockRef: Hash; readonly tx: Hash };
  readonly transferTx: Hash;
  readonly forcedTx: Hash;
  readonly bobRetirement: { readonly certificateId: bigint; readonly tx: Hash; readonly confirmation: { readonly attestation: Hash; readonly registryRef: Hash; readonly tx: Hash } };
  readonly carolRetirement: { readonly certificateId: bigint; readonly rejection: { readonly attestation: Hash; readonly registryRef: Hash } };
  readonly acceptedRedemption: { readonly redemptionId: bigint; readonly attestation: Hash; readonly registryRef: Hash };
  readonly rejectedRedemption: { readonly redemptionId: bigint; readonly attestation: Hash; readonly registryRef: Hash; readonly tx: Hash };
  readonly epoch2Signers: readonly Address[];
}

/** Runs the scenario on `chain` (fresh deployment expected: batch ids 1-3). */
export async function runLedgerScenario(chain: TestChain): Promise<ScenarioResult> {
  const ledger = ledgerActions(chain);
  const [alice, bob, carol, , , custody] = chain.users;
  await ledger.kyc(alice.address);
  await ledger.kyc(bob.address, { country: "DE" });
  await ledger.kyc(carol.address, { entityType: "Individual" });
  await ledger.kyc(custody.address, { entityType: "Custody" });

  const a = await ledger.tokenize(testBatchInfo(1_000n, 1_099n), alice.address);
  const b = await ledger.tokenize(testBatchInfo(1n, 50n, { registry: "GOLD_STANDARD", projectId: "GS11603", labels: ["CCP", "CORSIA"] }), bob.address);

  const transfer = await ledger.transfer(alice, bob.address, a.batchId, 30n);
  await ledger.transfer(alice, custody.address, a.batchId, 10n); // reserved
  await ledger.transfer(custody, carol.address, a.batchId, 4n); // released
  const forced = await ledger.forcedTransfer(bob.address, carol.address, a.batchId, 2n, "lost keys, court order 7/2025");

  const bobRetired = await ledger.retire(bob, a.batchId, 10n, testClaim({ beneficiaryName: "Bob GmbH" }));
  const bobConfirmed = await ledger.confirmRetirement(bobRetired.certificateId);
  const carolRetired = await ledger.retire(carol, a.batchId, 3n, testClaim({ beneficiaryName: null, beneficiaryCommitment: `0x${"ab".repeat(32)}`, periodStart: "2024-07-01", periodEnd: "2025-06-30" }));
  const carolRejected = await ledger.confirmRetirement(carolRetired.certificateId, { accepted: false });

  const accepted = await ledger.redeem(alice, a.batchId, 5n);
  const acceptedResult = await ledger.finalizeRedemption(accepted.redemptionId);
  const rejected = await ledger.redeem(alice, a.batchId, 7n, "VCS-ALICE-2");
  const rejectedResult = await ledger.finalizeRedemption(rejected.redemptionId, { accepted: false });

  await ledger.freeze(carol.address, "sanctions screening hit");
  await ledger.unfreeze(carol.address, "false positive");

  const epoch2Keys = testOracleKeys(3, "oracle-epoch2");
  const epoch2Signers = epoch2Keys.map((key) => privateKeyToAccount(key).address);
  await ledger.setSignerSet(epoch2Signers, 2);
  const c = await ledger.tokenize(testBatchInfo(2_000n, 2_009n), carol.address, { attest: { signers: epoch2Keys.slice(1) } });
  await ledger.pause();
  await ledger.unpause();
  // Back to the original signers (epoch 3), so later helpers' default signatures work again.
  await ledger.setSignerSet(chain.oracleKeys.map((key) => privateKeyToAccount(key).address), chain.threshold);

  return {
    alice,
    bob,
    carol,
    custody,
    batchA: a.batchId,
    batchB: b.batchId,
    batchC: c.batchId,
    tokenizeA: { attestation: a.attestation, lockRef: a.lockRef, tx: a.receipt.transactionHash },
    transferTx: transfer.transactionHash,
    forcedTx: forced.transactionHash,
    bobRetirement: {
      certificateId: bobRetired.certificateId,
      tx: bobRetired.receipt.transactionHash,
      confirmation: { attestation: bobConfirmed.attestation, registryRef: bobConfirmed.registryRef, tx: bobConfirmed.receipt.transactionHash },
    },
    carolRetirement: { certificateId: carolRetired.certificateId, rejection: { attestation: carolRejected.attestation, registryRef: carolRejected.registryRef } },
    acceptedRedemption: { redemptionId: accepted.redemptionId, attestation: acceptedResult.attestation, registryRef: acceptedResult.registryRef },
    rejectedRedemption: {
      redemptionId: rejected.redemptionId,
      attestation: rejectedResult.attestation,
      registryRef: rejectedResult.registryRef,
      tx: rejectedResult.receipt.transactionHash,
    },
    epoch2Signers,
  };
}
