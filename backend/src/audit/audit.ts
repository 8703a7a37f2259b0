/**
 * The verifier audit: recomputes balances, serial accounting, retirements and certificate status
 * from chain events alone (eth_getLogs through viem), compares them with the contracts' own state,
 * re-verifies every consumed attestation's signatures against its epoch's signer set, and checks
 * the chain against the registries' public CSV exports. It takes no database handle: an auditor
 * does not have to trust the platform's read model.
 */
import type { Address } from "viem";
import { carbonCreditAbi, retirementCertificateAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { verifyAttestations } from "./attestations";
import { readLedgerEvents, tokenizedBatches, type AnyPublicClient, type ChainEvent } from "./chainReader";
import { checkMrv, type MrvSamples } from "./mrv";
import { loadRegistryExports, uncoveredBy, type ExportSources } from "./registryExports";

export type CheckStatus = "pass" | "fail" | "skipped";

export interface AuditCheck {
  readonly name: string;
  readonly description: string;
  readonly status: CheckStatus;
  /** Items checked (balances, certificates, attestations, ...). */
  readonly checked: number;
  /** One line per failed item (at most `MAX_LISTED`; `failed` counts all). */
  readonly failures: readonly string[];
  readonly failed: number;
  readonly notes: readonly string[];
}

export interface AuditReport {
  readonly chainId: number;
  readonly headBlock: bigint;
  readonly events: number;
  readonly checks: readonly AuditCheck[];
  readonly passed: boolean;
}

export interface AuditDeps {
  readonly publicClient: AnyPublicClient;
  readonly deployment: Deployment;
  /** Public registry exports to check the chain against; without them that check is skipped. */
  readonly registryExports?: ExportSources;
  readonly fetch?: typeof fetch;
  /** First block to read (default 0). */
  readonly fromBlock?: bigint;
  /** Sample MRV records with their Merkle proofs, to check against the attested roots. */
  readonly mrvSamples?: MrvSamples;
}

const MAX_LISTED = 50;
const STATUS_NAMES = ["none", "pending", "registry-confirmed", "registry-rejected"];
const ZERO = "0x0000000000000000000000000000000000000000";

class CheckBuilder {
  readonly failures: string[] = [];
  readonly notes: string[] = [];
  failed = 0;
  checked = 0;
  constructor(
    readonly name: string,
    readonly description: string,
  ) {}
  expect(ok: boolean, failure: () => string): void {
    this.checked += 1;
    if (ok) return;
    this.failed += 1;
    if (this.failures.length < MAX_LISTED) this.failures.push(failure());
  }
  build(skipped = false): AuditCheck {
    return {
      name: this.name,
      description: this.description,
      status: skipped ? "skipped" : this.failed > 0 ? "fail" : "pass",
      checked: this.checked,
      failures: this.failures,
      failed: this.failed,
      notes: this.notes,
    };
  }
}

const key = (wallet: string, id: bigint) => `${wallet.toLowerCase()}:${id}`;

export async function runAudit(deps: AuditDeps): Promise<AuditReport> {
  const client = deps.publicClient;
  const { credit, certificate } = deps.deployment.contracts;
  const headBlock = await client.getBlockNumber({ cacheTime: 0 });
  const events = await readLedgerEvents(client, deps.deployment, { fromBlock: deps.fromBlock, toBlock: headBlock });
  const at = { blockNumber: headBlock };
  const creditEvents = events.filter((e) => e.contract === "CarbonCredit");

  // ---------------------------------------------------------------- balances from transfers
  const balances = new Map<string, { wallet: Address; id: bigint; amount: bigint }>();
  const move = (wallet: Address, id: bigint, delta: bigint) => {
    if (wallet === ZERO) return;
    const k = key(wallet, id);
    const entry = balances.get(k) ?? { wallet, id, amount: 0n };
    entry.amount += delta;
    balances.set(k, entry);
  };
  for (const e of creditEvents) {
    if (e.eventName === "TransferSingle") {
      move(e.args.from as Address, e.args.id as bigint, -(e.args.value as bigint));
      move(e.args.to as Address, e.args.id as bigint, e.args.value as bigint);
    } else if (e.eventName === "TransferBatch") {
      const ids = e.args.ids as bigint[];
      const values = e.args.values as bigint[];
      ids.forEach((id, i) => {
        move(e.args.from as Address, id, -values[i]);
        move(e.args.to as Address, id, values[i]);
      });
    }
  }
  const balanceCheck = new CheckBuilder("balances", "every wallet's balance of every batch, recomputed from TransferSingle/TransferBatch events, equals balanceOf");
  const entries = [...balances.values()];
  for (let i = 0; i < entries.length; i += 200) {
    const chunk = entries.slice(i, i + 200);
    const onChain = await client.readContract({
      address: credit,
      abi: carbonCreditAbi,
      functionName: "balanceOfBatch",
      args: [chunk.map((c) => c.wallet), chunk.map((c) => c.id)],
      ...at,
    });
    chunk.forEach((c, j) =>
      balanceCheck.expect(c.amount === onChain[j], () => `${c.wallet} batch ${c.id}: events give ${c.amount}, balanceOf says ${onChain[j]}`),
    );
  }

  // ---------------------------------------------------------------- serial accounting and supply
  const serialCheck = new CheckBuilder(
    "serials-and-supply",
    "per batch, retirements take serials first-in first-out and redemptions from the top (from Retired/RedemptionBurned/RedemptionRestored events); the cursors equal serialState and supply = minted − retired − redeemed equals totalSupply and the sum of balances",
  );
  const batches = tokenizedBatches(events);
  const cursors = new Map(batches.map((b) => [b.batchId, { next: b.serialStart, floor: b.serialEnd + 1n }]));
  for (const e of creditEvents) {
    const c = cursors.get(e.args.batchId as bigint);
    if (c === undefined) continue;
    if (e.eventName === "Retired") {
      serialCheck.expect(e.args.firstSerial === c.next, () => `batch ${String(e.args.batchId)}: retirement in ${e.txHash} starts at ${String(e.args.firstSerial)}, expected ${c.next}`);
      c.next = (e.args.lastSerial as bigint) + 1n;
    } else if (e.eventName === "RedemptionBurned") {
      serialCheck.expect(e.args.lastSerial === c.floor - 1n, () => `batch ${String(e.args.batchId)}: redemption in ${e.txHash} ends at ${String(e.args.lastSerial)}, expected ${c.floor - 1n}`);
      c.floor = e.args.firstSerial as bigint;
    } else if (e.eventName === "RedemptionRestored") {
      c.floor = (e.args.lastSerial as bigint) + 1n;
    }
  }
  for (const b of batches) {
    const c = cursors.get(b.batchId);
    if (c === undefined) continue;
    const state = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "serialState", args: [b.batchId], ...at });
    serialCheck.expect(
      state.nextRetireSerial === c.next && state.redeemFloor === c.floor,
      () => `batch ${b.batchId}: events give cursors ${c.next}/${c.floor}, serialState says ${state.nextRetireSerial}/${state.redeemFloor}`,
    );
    const supply = await client.readContract({ address: credit, abi: carbonCreditAbi, functionName: "totalSupply", args: [b.batchId], ...at });
    const held = entries.filter((x) => x.id === b.batchId).reduce((n, x) => n + x.amount, 0n);
    serialCheck.expect(supply === c.floor - c.next && held === supply, () => `batch ${b.batchId}: supply from serials ${c.floor - c.next}, totalSupply ${supply}, sum of balances ${held}`);
  }

  // ---------------------------------------------------------------- certificates
  const certificateCheck = new CheckBuilder(
    "certificates",
    "every certificate, rebuilt from Retired and RegistryStatusChanged events (id, owner, serial range, registry status and reference), equals RetirementCertificate.certificate",
  );
  const certificates = new Map<bigint, { batchId: bigint; owner: string; first: bigint; last: bigint; status: number; registryRef: string }>();
  for (const e of events) {
    if (e.contract === "CarbonCredit" && e.eventName === "Retired") {
      const claim = e.args.claim as { beneficiary: Address };
      certificates.set(e.args.certificateId as bigint, {
        batchId: e.args.batchId as bigint,
        owner: (claim.beneficiary === ZERO ? (e.args.holder as string) : claim.beneficiary).toLowerCase(),
        first: e.args.firstSerial as bigint,
        last: e.args.lastSerial as bigint,
        status: 1,
        registryRef: `0x${"0".repeat(64)}`,
      });
    }
    if (e.contract === "RetirementCertificate" && e.eventName === "RegistryStatusChanged") {
      const c = certificates.get(e.args.certificateId as bigint);
      if (c === undefined) {
        certificateCheck.expect(false, () => `RegistryStatusChanged for unknown certificate ${String(e.args.certificateId)} in ${e.txHash}`);
        continue;
      }
      c.status = Number(e.args.status);
      c.registryRef = (e.args.registryRef as string).toLowerCase();
    }
  }
  for (const [id, c] of certificates) {
    certificateCheck.expect(id === (c.batchId << 64n) + c.first, () => `certificate ${id}: id is not (batchId << 64) | firstSerial`);
    const onChain = await client.readContract({ address: certificate, abi: retirementCertificateAbi, functionName: "certificate", args: [id], ...at });
    const same =
      onChain.owner.toLowerCase() === c.owner &&
      onChain.batchId === c.batchId &&
      onChain.firstSerial === c.first &&
      onChain.lastSerial === c.last &&
      onChain.status === c.status &&
      onChain.registryRef.toLowerCase() === c.registryRef;
    certificateCheck.expect(
      same,
      () =>
        `certificate ${id}: events give owner ${c.owner} serials ${c.first}-${c.last} ${STATUS_NAMES[c.status]}, the contract says ${onChain.owner} ${onChain.firstSerial}-${onChain.lastSerial} ${STATUS_NAMES[onChain.status]}`,
    );
  }

  // ---------------------------------------------------------------- attestations
  const attestationCheck = new CheckBuilder(
    "attestation-signatures",
    "every consumed attestation: EIP-712 digest recomputed from the consuming call, each signature recovers to a distinct member of its epoch's signer set, at least the epoch's threshold",
  );
  const verdicts = await verifyAttestations(client, deps.deployment, events);
  for (const v of verdicts) {
    if (v.outcome === "unverifiable") {
      attestationCheck.notes.push(`${v.digest} (tx ${v.txHash}): not verified: ${v.problem}`);
      continue;
    }
    attestationCheck.expect(v.outcome === "ok", () => `${v.kind ?? "attestation"} ${v.digest} (tx ${v.txHash}, epoch ${v.epoch}): ${v.problem}`);
  }

  // ---------------------------------------------------------------- registry exports
  const registryCheck = new CheckBuilder(
    "registry-exports",
    "against the registries' public exports: serials held on-chain are issued and not retired there; serials of registry-confirmed retirements are retired there",
  );
  let registrySkipped = deps.registryExports === undefined;
  if (deps.registryExports !== undefined) {
    const exported = await loadRegistryExports(deps.registryExports, deps.fetch);
    for (const p of exported.problems) registryCheck.expect(false, () => p);
    for (const b of batches) {
      if (!exported.registries.includes(b.registry as never)) {
        registryCheck.notes.push(`batch ${b.batchId}: no export configured for registry ${b.registry}`);
        continue;
      }
      const c = cursors.get(b.batchId);
      if (c === undefined) continue;
      const ns = { registry: b.registry, serialScope: b.serialScope };
      const live = uncoveredBy(exported.blocks, ns, c.next, c.floor - 1n, "ISSUED");
      registryCheck.expect(live.length === 0, () => `batch ${b.batchId} (${b.serialNumber}): serials ${describe(live)} are held on-chain but not issued-and-unretired in the ${b.registry} export`);
      for (const [id, cert] of certificates) {
        if (cert.batchId !== b.batchId || cert.status !== 2) continue;
        const missing = uncoveredBy(exported.blocks, ns, cert.first, cert.last, "RETIRED");
        registryCheck.expect(missing.length === 0, () => `certificate ${id}: registry-confirmed on-chain, but serials ${describe(missing)} are not retired in the ${b.registry} export`);
      }
    }
    if (exported.registries.length === 0) registrySkipped = true;
  } else {
    registryCheck.notes.push("no registry exports given");
  }

  // ---------------------------------------------------------------- MRV datasets
  const mrvCheck = new CheckBuilder(
    "mrv-datasets",
    "attested MRV datasets: stored claims equal their events, ids match (project, period), quorum digests consumed, batches name attested datasets, sample record proofs lead to the attested roots",
  );
  const mrvAddress = deps.deployment.contracts.mrv;
  if (mrvAddress === undefined) {
    mrvCheck.notes.push("the deployment has no MRVRegistry");
  } else {
    const findings = await checkMrv(client, mrvAddress, headBlock, events, deps.mrvSamples ?? []);
    mrvCheck.checked = findings.checked;
    mrvCheck.failed = findings.failures.length;
    mrvCheck.failures.push(...findings.failures.slice(0, MAX_LISTED));
    mrvCheck.notes.push(...findings.notes);
  }

  const checks = [balanceCheck.build(), serialCheck.build(), certificateCheck.build(), attestationCheck.build(), registryCheck.build(registrySkipped), mrvCheck.build(mrvAddress === undefined)];
  return { chainId: deps.deployment.chainId, headBlock, events: events.length, checks, passed: checks.every((c) => c.status !== "fail") };
}

function describe(ranges: readonly { first: bigint; last: bigint }[]): string {
  return ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`)).join(", ");
}

export type { ChainEvent };
