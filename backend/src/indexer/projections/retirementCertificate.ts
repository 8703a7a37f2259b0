/**
 * RetirementCertificate: the soulbound certificate of each retirement and its registry status.
 * A registry verdict is also a custody event of the retired serials, carrying the attestation
 * that allowed it and the registry's retirement reference.
 */
import { retirementCertificateAbi } from "../../chain/abis";
import { enumName, REGISTRY_STATUSES } from "../../chain/ledgerEnums";
import { defineContractModule, type ProjectionContext } from "../contractModule";
import { numericParam, storedHex, ZERO_ADDRESS } from "../encoding";
import { rememberRow } from "../store/undo";
import { ProjectionError, recordCustodyEvent } from "./custody";
import { attestationConsumedInTransaction, linkAttestation } from "./oracleQuorum";

const SERIAL_MASK = (1n << 64n) - 1n;

/** The read model's text of a registry verdict (RetirementCertificate.RegistryStatus / RegistryBridge.RedemptionStatus). */
export function registryStatusText(ctx: ProjectionContext, status: number): "pending" | "registry-confirmed" | "registry-rejected" {
  const name = enumName("registry status", REGISTRY_STATUSES, status);
  if (name === "Pending") return "pending";
  if (name === "Confirmed") return "registry-confirmed";
  if (name === "Rejected") return "registry-rejected";
  throw new ProjectionError(ctx, `registry status ${name} is not a verdict`);
}

async function setLocked(ctx: ProjectionContext, certificateId: bigint, locked: boolean): Promise<void> {
  await rememberRow(ctx, "certificates", [certificateId]);
  const result = await ctx.db.query(
    "UPDATE certificates SET locked = $3, block_number = $4, block_hash = $5 WHERE chain_id = $1 AND certificate_id = $2",
    [ctx.chainId, numericParam(certificateId), locked, numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
  );
  if (result.rowCount !== 1) throw new ProjectionError(ctx, `lock change of unknown certificate ${certificateId}`);
}

export const retirementCertificateModule = defineContractModule({
  name: "RetirementCertificate",
  abi: retirementCertificateAbi,
  addressIn: (deployment) => deployment.contracts.certificate,
  handlers: {
    Transfer: async ({ from, to, tokenId }, ctx) => {
      await rememberRow(ctx, "certificates", [tokenId]);
      if (storedHex(from) !== ZERO_ADDRESS) {
        // Certificates are soulbound; kept general in case a future version allows moves.
        await ctx.db.query(
          "UPDATE certificates SET owner = $3, block_number = $4, block_hash = $5 WHERE chain_id = $1 AND certificate_id = $2",
          [ctx.chainId, numericParam(tokenId), storedHex(to), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
        );
        return;
      }
      await ctx.db.query(
        `INSERT INTO certificates (chain_id, certificate_id, batch_id, first_serial, owner, registry_status, minted_tx, minted_at, block_number, block_hash)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9)`,
        [
          ctx.chainId,
          numericParam(tokenId),
          numericParam(tokenId >> 64n),
          numericParam(tokenId & SERIAL_MASK),
          storedHex(to),
          storedHex(ctx.txHash),
          ctx.blockTime,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
        ],
      );
    },
    Locked: ({ tokenId }, ctx) => setLocked(ctx, tokenId, true),
    Unlocked: ({ tokenId }, ctx) => setLocked(ctx, tokenId, false),
    RegistryStatusChanged: async ({ certificateId, status, registryRef }, ctx) => {
      const verdict = registryStatusText(ctx, status);
      const attestation = await attestationConsumedInTransaction(ctx, ctx.address);
      await rememberRow(ctx, "certificates", [certificateId]);
      await ctx.db.query(
        `UPDATE certificates SET registry_status = $3, registry_ref = $4, status_attestation = $5, status_tx = $6, status_at = $7,
           block_number = $8, block_hash = $9
         WHERE chain_id = $1 AND certificate_id = $2`,
        [
          ctx.chainId,
          numericParam(certificateId),
          verdict,
          storedHex(registryRef),
          attestation,
          storedHex(ctx.txHash),
          ctx.blockTime,
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
        ],
      );
      await linkAttestation(ctx, attestation, "retirement-confirmation", `certificate:${certificateId}`);
      const { rows } = await ctx.db.query<{ batch_id: string; holder: string; first_serial: string; last_serial: string; quantity: string }>(
        "SELECT batch_id, holder, first_serial, last_serial, quantity FROM retirements WHERE chain_id = $1 AND certificate_id = $2",
        [ctx.chainId, numericParam(certificateId)],
      );
      const retirement = rows[0];
      if (retirement === undefined) throw new ProjectionError(ctx, `registry verdict on certificate ${certificateId} without its retirement`);
      recordCustodyEvent(ctx, {
        kind: verdict === "registry-confirmed" ? "retirement_confirmed" : "retirement_rejected",
        batchId: BigInt(retirement.batch_id),
        from: retirement.holder,
        amount: BigInt(retirement.quantity),
        firstSerial: BigInt(retirement.first_serial),
        lastSerial: BigInt(retirement.last_serial),
        certificateId,
        attestation,
        registryRef,
      });
    },
  },
});
