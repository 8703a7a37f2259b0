/**
 * RegistryBridge: redemption requests and verdicts, and the attestation behind each tokenization.
 * Its events complete the custody events CarbonCredit recorded earlier in the same transaction.
 */
import { registryBridgeAbi } from "../../chain/abis";
import { defineContractModule } from "../contractModule";
import { numericParam, pgText, storedHex } from "../encoding";
import { rememberRow } from "../store/undo";
import { annotateCustodyEvent, ProjectionError } from "./custody";
import { linkAttestation } from "./oracleQuorum";
import { registryStatusText } from "./retirementCertificate";

export const registryBridgeModule = defineContractModule({
  name: "RegistryBridge",
  abi: registryBridgeAbi,
  addressIn: (deployment) => deployment.contracts.bridge,
  handlers: {
    Tokenized: async ({ batchId, attestation }, ctx) => {
      await rememberRow(ctx, "batches", [batchId]);
      const result = await ctx.db.query(
        "UPDATE batches SET tokenize_attestation = $3, block_number = $4, block_hash = $5 WHERE chain_id = $1 AND batch_id = $2",
        [ctx.chainId, numericParam(batchId), storedHex(attestation), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
      );
      if (result.rowCount !== 1) throw new ProjectionError(ctx, `Tokenized for unknown batch ${batchId}`);
      await annotateCustodyEvent(ctx, { kinds: ["tokenized"], batchId }, { attestation });
      await linkAttestation(ctx, attestation, "tokenize", `batch:${batchId}`);
    },
    RedemptionRequested: async ({ redemptionId, batchId, holder, firstSerial, lastSerial, registryAccount }, ctx) => {
      await rememberRow(ctx, "redemptions", [redemptionId]);
      await ctx.db.query(
        `INSERT INTO redemptions (chain_id, redemption_id, batch_id, holder, first_serial, last_serial, quantity, registry_account,
           status, requested_tx, requested_at, block_number, block_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12)`,
        [
          ctx.chainId,
          numericParam(redemptionId),
          numericParam(batchId),
          storedHex(holder),
          numericParam(firstSerial),
          numericParam(lastSerial),
          numericParam(lastSerial - firstSerial + 1n),
          pgText(registryAccount),
          storedHex(ctx.txHash),
          ctx.blockTime,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
        ],
      );
      await annotateCustodyEvent(ctx, { kinds: ["redemption_requested"], batchId, from: holder }, { redemptionId, registryAccount });
    },
    RedemptionFinalized: async ({ redemptionId, status, registryRef, attestation }, ctx) => {
      const verdict = registryStatusText(ctx, status);
      await rememberRow(ctx, "redemptions", [redemptionId]);
      const { rows } = await ctx.db.query<{ batch_id: string }>(
        `UPDATE redemptions SET status = $3, registry_ref = $4, result_attestation = $5, finalized_tx = $6, finalized_at = $7,
           block_number = $8, block_hash = $9
         WHERE chain_id = $1 AND redemption_id = $2 RETURNING batch_id`,
        [
          ctx.chainId,
          numericParam(redemptionId),
          verdict,
          storedHex(registryRef),
          storedHex(attestation),
          storedHex(ctx.txHash),
          ctx.blockTime,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
        ],
      );
      if (rows[0] === undefined) throw new ProjectionError(ctx, `verdict on unknown redemption ${redemptionId}`);
      await annotateCustodyEvent(
        ctx,
        { kinds: [verdict === "registry-confirmed" ? "redemption_confirmed" : "redemption_rejected"], batchId: BigInt(rows[0].batch_id) },
        { attestation, registryRef, redemptionId },
      );
      await linkAttestation(ctx, attestation, "redemption-result", `redemption:${redemptionId}`);
    },
  },
});
