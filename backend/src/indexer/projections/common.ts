/**
 * Projections shared by several contracts: OpenZeppelin AccessControl role membership and the
 * pause flag of pausable contracts.
 */
import type { Address, Hex } from "viem";
import type { ProjectionContext } from "../contractModule";
import { numericParam, storedHex } from "../encoding";
import { rememberRow } from "../store/undo";

/** Handlers of `RoleGranted` / `RoleRevoked` (any AccessControl contract). */
export const accessControlHandlers = {
  RoleGranted: async (args: { role: Hex; account: Address; sender: Address }, ctx: ProjectionContext): Promise<void> => {
    const key = [ctx.address, storedHex(args.role), storedHex(args.account)] as const;
    await rememberRow(ctx, "role_members", key);
    await ctx.db.query(
      `INSERT INTO role_members (chain_id, contract_address, role, account, granted_by, granted_tx, block_number, block_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (chain_id, contract_address, role, account) DO UPDATE SET
         granted_by = EXCLUDED.granted_by, granted_tx = EXCLUDED.granted_tx, block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
      [ctx.chainId, ...key, storedHex(args.sender), storedHex(ctx.txHash), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
    );
  },
  RoleRevoked: async (args: { role: Hex; account: Address; sender: Address }, ctx: ProjectionContext): Promise<void> => {
    const key = [ctx.address, storedHex(args.role), storedHex(args.account)] as const;
    await rememberRow(ctx, "role_members", key);
    await ctx.db.query(
      "DELETE FROM role_members WHERE chain_id = $1 AND contract_address = $2 AND role = $3 AND account = $4",
      [ctx.chainId, ...key],
    );
  },
};

async function setPaused(ctx: ProjectionContext, paused: boolean, account: Address): Promise<void> {
  await rememberRow(ctx, "contract_pause_states", [ctx.address]);
  await ctx.db.query(
    `INSERT INTO contract_pause_states (chain_id, contract_address, paused, changed_by, block_number, block_hash)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (chain_id, contract_address) DO UPDATE SET
       paused = EXCLUDED.paused, changed_by = EXCLUDED.changed_by, block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
    [ctx.chainId, ctx.address, paused, storedHex(account), numericParam(ctx.blockNumber), storedHex(ctx.blockHash)],
  );
}

/** Handlers of `Paused` / `Unpaused` (any pausable contract). */
export const pausableHandlers = {
  Paused: (args: { account: Address }, ctx: ProjectionContext) => setPaused(ctx, true, args.account),
  Unpaused: (args: { account: Address }, ctx: ProjectionContext) => setPaused(ctx, false, args.account),
};
