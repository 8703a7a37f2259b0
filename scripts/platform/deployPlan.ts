/**
 * What `scripts/deploy.ts` deploys: the roles of a deployment, read from a JSON file
 * (`DEPLOY_ROLES_FILE`), validated with zod, and the hand-over of the admin role from the deploying
 * key to the real admin (a multisig or timelock) once everything is wired.
 *
 * Roles file (every address 0x-prefixed; `paymentToken` absent = deploy a TestStablecoin):
 * ```json
 * { "admin": "0x…", "compliance": "0x…", "pauser": "0x…",
 *   "oracleSigners": ["0x…", "0x…", "0x…"], "threshold": 2,
 *   "treasury": "0x…", "feeBps": 50, "paymentToken": "0x…", "uri": "https://…/{id}.json",
 *   "mrvVerifiers": ["0x…"] }
 * ```
 */
import { readFileSync } from "node:fs";
import type { Signer } from "ethers";
import { z } from "zod";
import type { Ledger, LedgerOptions } from "../deploy/ledger";

/** SettlementEscrow's MAX_FEE_BPS. */
const MAX_FEE_BPS = 100;

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { message: "must be a 0x-prefixed 20-byte address" })
  .refine((a) => BigInt(a) !== 0n, { message: "must not be the zero address" });

export const rolesFileSchema = z
  .object({
    admin: address,
    compliance: address,
    pauser: address,
    oracleSigners: z.array(address).min(1, { message: "needs at least one oracle signer" }).max(255),
    threshold: z.number().int().min(1, { message: "must be at least 1" }),
    treasury: address,
    feeBps: z.number().int().min(0).max(MAX_FEE_BPS, { message: `must be at most ${MAX_FEE_BPS} (1%)` }),
    paymentToken: address.optional(),
    uri: z.string().optional(),
    mrvVerifiers: z.array(address).optional(),
  })
  .strict()
  .superRefine((roles, ctx) => {
    if (roles.threshold > roles.oracleSigners.length) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `must not exceed the number of oracle signers (${roles.oracleSigners.length})`,
      });
    }
    const seen = new Set<string>();
    roles.oracleSigners.forEach((s, i) => {
      if (seen.has(s.toLowerCase())) ctx.addIssue({ code: "custom", path: ["oracleSigners", i], message: `duplicate signer ${s}` });
      seen.add(s.toLowerCase());
    });
  });

export type DeployRoles = z.infer<typeof rolesFileSchema>;

/** Thrown for a missing or invalid roles file; the message names the file and each bad field. */
export class DeployPlanError extends Error {
  override name = "DeployPlanError";
}

/** Validates roles (from a parsed JSON file); `source` names it in errors. */
export function parseDeployRoles(raw: unknown, source: string): DeployRoles {
  const parsed = rolesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
    throw new DeployPlanError(`invalid roles file ${source}: ${issues.join("; ")}`);
  }
  return parsed.data;
}

export function readDeployRoles(file: string): DeployRoles {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new DeployPlanError(`cannot read roles file ${file}: ${(err as Error).message}`);
  }
  return parseDeployRoles(raw, file);
}

/** Development roles: the deployer holds every role and is the only oracle signer (1 of 1). */
export function developmentRoles(deployer: string): DeployRoles {
  return {
    admin: deployer,
    compliance: deployer,
    pauser: deployer,
    oracleSigners: [deployer],
    threshold: 1,
    treasury: deployer,
    feeBps: 0,
  };
}

/**
 * The options `deployLedger` runs with: the deployer is the interim admin (it grants the roles the
 * contracts need of each other), the rest comes from the roles.
 */
export function ledgerOptionsFor(roles: DeployRoles, deployer: string): LedgerOptions {
  return {
    admin: deployer,
    compliance: roles.compliance,
    pauser: roles.pauser,
    oracleSigners: roles.oracleSigners,
    threshold: roles.threshold,
    uri: roles.uri,
    mrvVerifiers: roles.mrvVerifiers,
    settlement: { paymentToken: roles.paymentToken, treasury: roles.treasury, feeBps: roles.feeBps },
  };
}

interface AdminControlled {
  DEFAULT_ADMIN_ROLE(): Promise<string>;
  grantRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  renounceRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  hasRole(role: string, account: string): Promise<boolean>;
}

/**
 * Gives DEFAULT_ADMIN_ROLE of every access-controlled contract to `admin` and renounces the
 * deployer's, one transaction at a time (grant before renounce: never a contract without admin).
 * No-op when the deployer is the admin.
 */
export async function handOverAdmin(ledger: Ledger, deployer: Signer, admin: string): Promise<void> {
  const deployerAddress = await deployer.getAddress();
  if (deployerAddress.toLowerCase() === admin.toLowerCase()) return;
  const contracts: AdminControlled[] = [ledger.identity, ledger.quorum, ledger.credit, ledger.mrv];
  if (ledger.escrow !== undefined) contracts.push(ledger.escrow);
  if (ledger.stablecoin !== undefined) contracts.push(ledger.stablecoin);
  for (const contract of contracts) {
    const role = await contract.DEFAULT_ADMIN_ROLE();
    await (await contract.grantRole(role, admin)).wait();
    await (await contract.renounceRole(role, deployerAddress)).wait();
  }
}
