/**
 * `carbonclear custody <batchId | wallet | REGISTRY:serial | REGISTRY:scope:serial | registry serial string>`:
 * the custody chain from the read model, with the registry side asked through the adapters
 * (REGISTRY_SIM_URL) when configured.
 */
import { getAddress, isAddress } from "viem";
import { CliError, EXIT, type RegisterCommands } from "../cli/command";
import { REGISTRY_IDS } from "../domain";
import { createRegistryAdapter, detectRegistry, registryApiBaseUrl, SerialFormatError } from "../registry";
import { batchOfSerial, custodyChain, InvalidCursorError, type CustodySubject } from "./custodyChain";
import { jsonSafe } from "./json";
import { registryAdaptersFor } from "./registryView";

/** What the user named, without touching the database. @throws CliError (USAGE) naming what is wrong. */
export function parseCustodySubject(text: string): CustodySubject | { kind: "serialString"; registry: string; serialScope: bigint; first: bigint; last: bigint } {
  const value = text.trim();
  if (/^\d{1,78}$/.test(value)) return { kind: "batch", batchId: BigInt(value) };
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) {
    if (!isAddress(value, { strict: false })) throw new CliError(`not a wallet address: ${value}`, EXIT.USAGE);
    return { kind: "wallet", wallet: getAddress(value) };
  }
  const short = /^([A-Z_]+):(?:(\d{1,20}):)?(\d{1,20})$/.exec(value);
  if (short !== null) {
    if (!(REGISTRY_IDS as readonly string[]).includes(short[1])) throw new CliError(`unknown registry ${short[1]}: one of ${REGISTRY_IDS.join(", ")}`, EXIT.USAGE);
    return { kind: "serial", registry: short[1], serialScope: BigInt(short[2] ?? "0"), serial: BigInt(short[3]) };
  }
  const registry = detectRegistry(value);
  if (registry === undefined) {
    throw new CliError(
      `cannot tell what ${JSON.stringify(value)} is: give a batch id, a wallet address, REGISTRY:serial, REGISTRY:scope:serial or a registry serial string (Verra, Gold Standard, CCTS)`,
      EXIT.USAGE,
    );
  }
  try {
    const parsed = createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl("http://unused.invalid", registry) }).parseSerial(value);
    return { kind: "serialString", registry, serialScope: parsed.serialScope, first: parsed.serialStart, last: parsed.serialEnd };
  } catch (error) {
    if (error instanceof SerialFormatError) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
}

const short = (hex: string | null) => (hex === null ? "" : `${hex.slice(0, 10)}…`);

export const registerCustodyCommands: RegisterCommands = (program, context) => {
  program
    .command("custody <subject>")
    .description("custody chain of a batch id, a wallet, REGISTRY:serial (REGISTRY:scope:serial) or a registry serial string")
    .option("--limit <n>", "steps per page (1..5000)", "500")
    .option("--after <cursor>", "continue after the `next` cursor of a previous page")
    .action(async (subjectText: string, options: { limit: string; after?: string }) => {
      const ctx = context();
      const limit = Number(options.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 5000) throw new CliError(`--limit must be an integer in 1..5000 (got ${options.limit})`, EXIT.USAGE);
      const parsed = parseCustodySubject(subjectText);
      const db = (await ctx.openDatabase()).pool;
      const chainId = ctx.config.chainId;
      let subject: CustodySubject;
      if (parsed.kind === "serialString") {
        if (parsed.first === parsed.last) {
          subject = { kind: "serial", registry: parsed.registry, serialScope: parsed.serialScope, serial: parsed.first };
        } else {
          const batchId = await batchOfSerial(db, chainId, parsed.registry, parsed.serialScope, parsed.first);
          if (batchId === undefined) throw new CliError(`no tokenized batch holds ${parsed.registry} serial ${parsed.first} (scope ${parsed.serialScope})`, EXIT.NOT_FOUND);
          subject = { kind: "batch", batchId };
        }
      } else {
        subject = parsed;
      }
      const registries = ctx.config.registrySimUrl === undefined ? undefined : registryAdaptersFor(ctx.config.registrySimUrl);
      let chain;
      try {
        chain = await custodyChain({ db, chainId, registries }, subject, { limit, after: options.after });
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new CliError(error.message, EXIT.USAGE);
        throw error;
      }
      if (chain === undefined) throw new CliError(`${subjectText}: not in the read model of chain ${chainId} (is the indexer running?)`, EXIT.NOT_FOUND);
      const found = chain;
      ctx.out.result(() => {
        for (const batch of found.batches) {
          ctx.out.line(`batch ${batch.batchId}: ${batch.registry} project ${batch.projectId}, serials ${batch.serialStart}-${batch.serialEnd} (${batch.serialNumber})`);
        }
        for (const side of found.registry) {
          if (side.view.found) {
            ctx.out.line(`registry lock ${side.lockRef}; the ${side.registry} registry now holds:`);
            ctx.out.table(side.view.pieces.map((p) => ({ first: p.first, last: p.last, status: p.status, holder: p.holderAccount, lockRef: short(p.lockRef), since: p.updatedAt })));
          } else {
            ctx.out.line(`registry lock ${side.lockRef}; registry side unavailable: ${side.view.reason}`);
          }
        }
        ctx.out.table(
          found.steps.map((s) => ({
            time: s.blockTime.toISOString(),
            kind: s.kind,
            batch: s.batchId,
            from: s.from ?? "",
            to: s.to ?? "",
            amount: s.amount,
            serials: s.firstSerial === null ? "" : `${s.firstSerial}-${s.lastSerial}`,
            attestation: s.attestation === null ? "" : `${short(s.attestation.digest)} e${s.attestation.epoch ?? "?"} ${s.attestation.signers.length} signers`,
            registryRef: short(s.registryRef),
            tx: short(s.txHash),
          })),
        );
        for (const note of found.notes) ctx.out.line(`note: ${note}`);
        if (found.next !== null) ctx.out.line(`more: --after ${found.next}`);
      }, jsonSafe(found));
    });
};
