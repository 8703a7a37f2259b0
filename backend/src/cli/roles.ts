/** `carbonclear roles list|grant|revoke`: who may call which API routes. */
import { getAddress, isAddress, type Address } from "viem";
import { grantRole, isRole, listRoleGrants, revokeRole } from "../api/auth/store";
import type { Role } from "../api/route";
import { ROLES } from "../api/route";
import { CliError, EXIT, type RegisterCommands } from "./command";

function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new CliError(`not a wallet address: ${value}`, EXIT.USAGE);
  return getAddress(value);
}

function parseRole(value: string): Role {
  if (!isRole(value)) throw new CliError(`unknown role ${JSON.stringify(value)}: one of ${ROLES.join(", ")}`, EXIT.USAGE);
  return value;
}

export const registerRoleCommands: RegisterCommands = (program, context) => {
  const roles = program.command("roles").description("API roles of wallets (trader, oracle_operator, verifier, compliance, admin)");
  roles
    .command("list")
    .description("list every role grant")
    .action(async () => {
      const ctx = context();
      const grants = await listRoleGrants((await ctx.openDatabase()).pool);
      ctx.out.result(() => ctx.out.table(grants, ["address", "role", "grantedBy", "grantedAt"]), grants);
    });
  for (const [name, verb] of [["grant", "grant"], ["revoke", "revoke"]] as const) {
    roles
      .command(`${name} <address> <role>`)
      .description(`${verb} a role (audit-logged as the operator running this command)`)
      .option("--by <who>", "who is acting, for the audit log", "operator")
      .action(async (address: string, role: string, options: { by: string }) => {
        const ctx = context();
        const wallet = parseAddress(address);
        const parsedRole = parseRole(role);
        const pool = (await ctx.openDatabase()).pool;
        const changed = name === "grant" ? await grantRole(pool, wallet, parsedRole, `cli:${options.by}`) : await revokeRole(pool, wallet, parsedRole, `cli:${options.by}`);
        ctx.out.result(() => ctx.out.line(changed ? `${name === "grant" ? "granted" : "revoked"} ${parsedRole} ${name === "grant" ? "to" : "from"} ${wallet}` : `nothing to do: ${wallet} ${name === "grant" ? "already has" : "does not have"} ${parsedRole}`), { address: wallet, role: parsedRole, changed });
      });
  }
};
