/**
 * The custody chain of a batch (or of one serial in it) from the ledger's own events: every custody
 * change is an event, so the chain alone is the audit trail.
 */
import { zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import type { PlatformInfo } from "../platform";
import { carbonCreditAbi, retirementCertificateAbi } from "./contracts";

export interface CustodyStep {
  block: bigint;
  tx: Hex;
  kind: "tokenized" | "transferred" | "retired" | "redeemed";
  from?: Address;
  to?: Address;
  quantity: bigint;
  detail: string;
}

export interface SerialStatus {
  serial: bigint;
  inBlock: boolean;
  certificateId?: bigint;
  certificateStatus?: number;
}

export async function loadCustodyChain(client: PublicClient, info: PlatformInfo, batchId: bigint): Promise<CustodyStep[]> {
  const credit = info.contracts.credit;
  const [created, transfers, retirements] = await Promise.all([
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "BatchCreated", args: { batchId }, fromBlock: 0n }),
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "TransferSingle", fromBlock: 0n }),
    client.getContractEvents({ address: credit, abi: carbonCreditAbi, eventName: "Retired", args: { batchId }, fromBlock: 0n }),
  ]);
  if (created.length === 0) throw new Error(`Batch ${batchId} does not exist on this platform.`);
  const retireTxs = new Set(retirements.map((r) => r.transactionHash));
  const steps: CustodyStep[] = [];
  for (const c of created) {
    const info = c.args.info!;
    steps.push({
      block: c.blockNumber,
      tx: c.transactionHash,
      kind: "tokenized",
      to: c.args.owner,
      quantity: info.serialEnd - info.serialStart + 1n,
      detail: `registry serials ${info.serialStart}–${info.serialEnd} locked in platform custody (lock ${c.args.lockRef?.slice(0, 10)}…), minted on the oracle quorum's attestation`,
    });
  }
  for (const t of transfers) {
    if (t.args.id !== batchId) continue;
    if (t.args.from === zeroAddress) continue; // the mint, shown as "tokenized"
    if (t.args.to === zeroAddress && retireTxs.has(t.transactionHash)) continue; // shown as "retired"
    steps.push({
      block: t.blockNumber,
      tx: t.transactionHash,
      kind: t.args.to === zeroAddress ? "redeemed" : "transferred",
      from: t.args.from,
      to: t.args.to,
      quantity: t.args.value!,
      detail: t.args.to === zeroAddress ? "burned to leave the chain" : "custody moved between eligible wallets",
    });
  }
  for (const r of retirements) {
    steps.push({
      block: r.blockNumber,
      tx: r.transactionHash,
      kind: "retired",
      from: r.args.holder,
      quantity: r.args.lastSerial! - r.args.firstSerial! + 1n,
      detail: `serials ${r.args.firstSerial}–${r.args.lastSerial} retired for ${r.args.claim!.beneficiaryName || "a committed beneficiary"}, certificate ${r.args.certificateId}`,
    });
  }
  return steps.sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
}

/** Where one serial of a batch stands: inside the block, retired (and under which certificate) or still held. */
export async function serialStatus(client: PublicClient, info: PlatformInfo, batchId: bigint, serial: bigint): Promise<SerialStatus> {
  const state = await client.readContract({ address: info.contracts.credit, abi: carbonCreditAbi, functionName: "serialState", args: [batchId] });
  if (serial < state.serialStart || serial > state.serialEnd) return { serial, inBlock: false };
  const retirements = await client.getContractEvents({ address: info.contracts.credit, abi: carbonCreditAbi, eventName: "Retired", args: { batchId }, fromBlock: 0n });
  const hit = retirements.find((r) => r.args.firstSerial! <= serial && serial <= r.args.lastSerial!);
  if (hit === undefined) return { serial, inBlock: true };
  const certificate = await client.readContract({
    address: info.contracts.certificate,
    abi: retirementCertificateAbi,
    functionName: "certificate",
    args: [hit.args.certificateId!],
  });
  return { serial, inBlock: true, certificateId: hit.args.certificateId, certificateStatus: certificate.status };
}
