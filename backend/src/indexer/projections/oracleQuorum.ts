/**
 * OracleQuorum: signer sets per epoch and every consumed attestation. The consumer's own event
 * (Tokenized, RedemptionFinalized, RegistryStatusChanged) later in the same transaction links the
 * attestation to what it allowed.
 */
import type { Hash } from "viem";
import { oracleQuorumAbi } from "../../chain/abis";
import { defineContractModule, type ProjectionContext } from "../contractModule";
import { numericParam, storedHex, type StoredHex } from "../encoding";
import { accessControlHandlers } from "./common";
import { ProjectionError } from "./custody";

export type AttestationPurpose = "tokenize" | "redemption-result" | "retirement-confirmation";

/** Records what attestation `digest` allowed. */
export async function linkAttestation(ctx: ProjectionContext, digest: Hash, purpose: AttestationPurpose, subject: string): Promise<void> {
  const result = await ctx.db.query("UPDATE attestations SET purpose = $3, subject = $4 WHERE chain_id = $1 AND digest = $2", [
    ctx.chainId,
    storedHex(digest),
    purpose,
    subject,
  ]);
  if (result.rowCount !== 1) throw new ProjectionError(ctx, `attestation ${digest} was not consumed by the indexed quorum`);
}

/** The digest of the latest attestation `consumer` consumed earlier in the current transaction. */
export async function attestationConsumedInTransaction(ctx: ProjectionContext, consumer: StoredHex): Promise<Hash> {
  const { rows } = await ctx.db.query<{ digest: Hash }>(
    `SELECT digest FROM attestations WHERE chain_id = $1 AND tx_hash = $2 AND consumer = $3 AND log_index < $4
      ORDER BY log_index DESC LIMIT 1`,
    [ctx.chainId, storedHex(ctx.txHash), consumer, ctx.logIndex],
  );
  if (rows[0] === undefined) throw new ProjectionError(ctx, `no attestation consumed by ${consumer} precedes this log in its transaction`);
  return rows[0].digest;
}

export const oracleQuorumModule = defineContractModule({
  name: "OracleQuorum",
  abi: oracleQuorumAbi,
  addressIn: (deployment) => deployment.contracts.quorum,
  handlers: {
    ...accessControlHandlers,
    SignerSetUpdated: async ({ epoch, signers, threshold }, ctx) => {
      await ctx.db.query(
        `INSERT INTO signer_sets (chain_id, epoch, signers, threshold, tx_hash, block_number, block_hash, block_time)
         VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $8)`,
        [ctx.chainId, numericParam(epoch), signers.map(storedHex), threshold, storedHex(ctx.txHash), numericParam(ctx.blockNumber), storedHex(ctx.blockHash), ctx.blockTime],
      );
    },
    AttestationConsumed: async ({ digest, consumer, epoch, signers }, ctx) => {
      await ctx.db.query(
        `INSERT INTO attestations (chain_id, digest, consumer, epoch, signers, tx_hash, log_index, block_number, block_hash, block_time)
         VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10)`,
        [
          ctx.chainId,
          storedHex(digest),
          storedHex(consumer),
          numericParam(epoch),
          signers.map(storedHex),
          storedHex(ctx.txHash),
          ctx.logIndex,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
          ctx.blockTime,
        ],
      );
    },
  },
});
