/** The deployment file written by `scripts/deploy.ts` / `npm start` and read by every service. */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { getAddress, type Address } from "viem";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address").transform((a) => getAddress(a) as Address);

export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  deployedAt: z.string(),
  blockNumber: z.number().int().nonnegative(),
  contracts: z.object({
    identity: address,
    quorum: address,
    credit: address,
    certificate: address,
    bridge: address,
    escrow: address.optional(),
    stablecoin: address.optional(),
    mrv: address.optional(),
  }),
  roles: z.object({
    admin: address,
    compliance: address,
    pauser: address,
    oracleSigners: z.array(address),
    threshold: z.number().int().positive(),
  }),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** Reads and validates a deployment file; the error names the file and the bad field. */
export function readDeployment(file: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read deployment file ${file}: ${(err as Error).message}`);
  }
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid deployment file ${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

export function writeDeployment(file: string, deployment: unknown): Deployment {
  const parsed = deploymentSchema.parse(deployment);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  return parsed;
}
