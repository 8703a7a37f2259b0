/** IdentityRegistry: identity records, freezes (as periods) and batch transfer rules. */
import type { Address } from "viem";
import { identityRegistryAbi } from "../../chain/abis";
import { ENTITY_TYPES, enumName, IDENTITY_STATUSES } from "../../chain/ledgerEnums";
import { defineContractModule, type ProjectionContext } from "../contractModule";
import { countryText, numericParam, optionalBytes32, pgText, storedHex } from "../encoding";
import { rememberRow } from "../store/undo";
import { accessControlHandlers } from "./common";
import { ProjectionError } from "./custody";

type IdentityChange = "identity-set" | "status-changed" | "sanctions-changed" | "frozen" | "unfrozen";

const UPDATE_STATUS = `UPDATE identities SET status = $5, last_change = $3, last_reason = $4, block_number = $6, block_hash = $7
  WHERE chain_id = $1 AND wallet = $2`;
const UPDATE_SANCTIONS = `UPDATE identities SET sanctions_cleared = $5, last_change = $3, last_reason = $4, block_number = $6, block_hash = $7
  WHERE chain_id = $1 AND wallet = $2`;

/** Changes one field of an existing identity record (the contract refuses changes to unknown wallets). */
async function updateIdentity(
  ctx: ProjectionContext,
  wallet: Address,
  change: IdentityChange,
  reason: string,
  statement: typeof UPDATE_STATUS | typeof UPDATE_SANCTIONS,
  value: string | boolean,
): Promise<void> {
  const key = storedHex(wallet);
  await rememberRow(ctx, "identities", [key]);
  const result = await ctx.db.query(statement, [ctx.chainId, key, change, pgText(reason), value, numericParam(ctx.blockNumber), storedHex(ctx.blockHash)]);
  if (result.rowCount !== 1) throw new ProjectionError(ctx, `${change} for wallet ${wallet}, which has no identity record`);
}

/** Sets the frozen flag, creating a bare record ('None') for a wallet that has none. */
async function setFrozen(ctx: ProjectionContext, wallet: Address, frozen: boolean, reason: string): Promise<void> {
  const key = storedHex(wallet);
  await rememberRow(ctx, "identities", [key]);
  await ctx.db.query(
    `INSERT INTO identities (chain_id, wallet, status, entity_type, country, kyc_expiry, sanctions_cleared, registry_accounts_hash,
       frozen, last_change, last_reason, block_number, block_hash)
     VALUES ($1, $2, 'None', 'Unspecified', NULL, 0, false, NULL, $3, $4, $5, $6, $7)
     ON CONFLICT (chain_id, wallet) DO UPDATE SET frozen = EXCLUDED.frozen, last_change = EXCLUDED.last_change,
       last_reason = EXCLUDED.last_reason, block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
    [ctx.chainId, key, frozen, frozen ? "frozen" : "unfrozen", pgText(reason), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
  );
}

export const identityRegistryModule = defineContractModule({
  name: "IdentityRegistry",
  abi: identityRegistryAbi,
  addressIn: (deployment) => deployment.contracts.identity,
  handlers: {
    ...accessControlHandlers,
    IdentitySet: async (args, ctx) => {
      const key = storedHex(args.wallet);
      await rememberRow(ctx, "identities", [key]);
      await ctx.db.query(
        `INSERT INTO identities (chain_id, wallet, status, entity_type, country, kyc_expiry, sanctions_cleared, registry_accounts_hash,
           frozen, last_change, last_reason, block_number, block_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, 'identity-set', NULL, $9, $10)
         ON CONFLICT (chain_id, wallet) DO UPDATE SET status = EXCLUDED.status, entity_type = EXCLUDED.entity_type,
           country = EXCLUDED.country, kyc_expiry = EXCLUDED.kyc_expiry, sanctions_cleared = EXCLUDED.sanctions_cleared,
           registry_accounts_hash = EXCLUDED.registry_accounts_hash, last_change = EXCLUDED.last_change,
           last_reason = EXCLUDED.last_reason, block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
        [
          ctx.chainId,
          key,
          enumName("identity status", IDENTITY_STATUSES, args.status),
          enumName("entity type", ENTITY_TYPES, args.entityType),
          countryText(args.country),
          numericParam(args.kycExpiry),
          args.sanctionsCleared,
          optionalBytes32(args.registryAccountsHash),
          numericParam(ctx.blockNumber),
          storedHex(ctx.blockHash),
        ],
      );
    },
    StatusChanged: ({ wallet, status, reason }, ctx) =>
      updateIdentity(ctx, wallet, "status-changed", reason, UPDATE_STATUS, enumName("identity status", IDENTITY_STATUSES, status)),
    SanctionsClearanceChanged: ({ wallet, cleared, reason }, ctx) =>
      updateIdentity(ctx, wallet, "sanctions-changed", reason, UPDATE_SANCTIONS, cleared),
    WalletFrozen: async ({ wallet, reason }, ctx) => {
      await setFrozen(ctx, wallet, true, reason);
      const key = [storedHex(wallet), storedHex(ctx.txHash), ctx.logIndex] as const;
      await rememberRow(ctx, "freezes", key);
      await ctx.db.query(
        `INSERT INTO freezes (chain_id, wallet, frozen_tx, frozen_log_index, frozen_at, frozen_block, reason, block_number, block_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8)`,
        [ctx.chainId, ...key, ctx.blockTime, numericParam(ctx.blockNumber), pgText(reason), storedHex(ctx.blockHash)],
      );
    },
    WalletUnfrozen: async ({ wallet, reason }, ctx) => {
      await setFrozen(ctx, wallet, false, reason);
      const { rows } = await ctx.db.query<{ frozen_tx: string; frozen_log_index: number }>(
        "SELECT frozen_tx, frozen_log_index FROM freezes WHERE chain_id = $1 AND wallet = $2 AND unfrozen_tx IS NULL",
        [ctx.chainId, storedHex(wallet)],
      );
      const open = rows[0];
      if (open === undefined) throw new ProjectionError(ctx, `wallet ${wallet} unfrozen without an open freeze`);
      const key = [storedHex(wallet), open.frozen_tx, open.frozen_log_index] as const;
      await rememberRow(ctx, "freezes", key);
      await ctx.db.query(
        `UPDATE freezes SET unfrozen_tx = $5, unfrozen_at = $6, unfreeze_reason = $7, block_number = $8, block_hash = $9
          WHERE chain_id = $1 AND wallet = $2 AND frozen_tx = $3 AND frozen_log_index = $4`,
        [ctx.chainId, ...key, storedHex(ctx.txHash), ctx.blockTime, pgText(reason), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
      );
    },
    TransferRuleSet: async ({ batchId, jurisdiction, entityTypeMask }, ctx) => {
      await rememberRow(ctx, "transfer_rules", [batchId]);
      await ctx.db.query(
        `INSERT INTO transfer_rules (chain_id, batch_id, jurisdiction, entity_type_mask, block_number, block_hash)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (chain_id, batch_id) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction,
           entity_type_mask = EXCLUDED.entity_type_mask, block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
        [ctx.chainId, numericParam(batchId), countryText(jurisdiction), entityTypeMask, numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
      );
    },
  },
});
