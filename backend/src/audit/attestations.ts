/**
 * Re-verifies every attestation the OracleQuorum consumed, from the chain alone: the consuming
 * transaction's calldata gives the attested fields and the signatures; the EIP-712 digest is
 * recomputed and must equal the consumed digest; every signature must recover to a distinct member
 * of the signer set of the attestation's epoch (from `SignerSetUpdated` events), at least the
 * epoch's threshold of them, and the recovered signers must be the ones the event recorded.
 */
import { decodeFunctionData, hashTypedData, recoverAddress, type Abi, type Address, type Hash, type Hex } from "viem";
import { registryBridgeAbi, retirementCertificateAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { ATTESTATION_TYPES, quorumDomain, type AttestationKind, type BatchInfoTuple } from "../chain/eip712";
import type { AnyPublicClient, ChainEvent } from "./chainReader";

export interface AttestationVerdict {
  readonly digest: Hash;
  readonly txHash: Hash;
  readonly epoch: bigint;
  readonly kind: AttestationKind | null;
  /** ok; failed (a check did not hold); unverifiable (calldata this audit cannot decode, e.g. a call through a multisig or an unknown consumer). */
  readonly outcome: "ok" | "failed" | "unverifiable";
  readonly problem?: string;
}

interface SignerSet {
  readonly signers: ReadonlySet<string>;
  readonly threshold: number;
}

function splitSignatures(signatures: Hex): Hex[] | undefined {
  const body = signatures.slice(2);
  if (body.length === 0 || body.length % 130 !== 0) return undefined;
  const out: Hex[] = [];
  for (let i = 0; i < body.length; i += 130) out.push(`0x${body.slice(i, i + 130)}`);
  return out;
}

export async function verifyAttestations(client: AnyPublicClient, deployment: Deployment, events: readonly ChainEvent[]): Promise<AttestationVerdict[]> {
  const signerSets = new Map<bigint, SignerSet>();
  const lastSerialOfCertificate = new Map<bigint, bigint>();
  const redemptions = new Map<bigint, { batchId: bigint; firstSerial: bigint; lastSerial: bigint }>();
  for (const e of events) {
    if (e.contract === "OracleQuorum" && e.eventName === "SignerSetUpdated") {
      signerSets.set(e.args.epoch as bigint, {
        signers: new Set((e.args.signers as Address[]).map((s) => s.toLowerCase())),
        threshold: Number(e.args.threshold),
      });
    }
    if (e.contract === "CarbonCredit" && e.eventName === "Retired") lastSerialOfCertificate.set(e.args.certificateId as bigint, e.args.lastSerial as bigint);
    if (e.contract === "RegistryBridge" && e.eventName === "RedemptionRequested") {
      redemptions.set(e.args.redemptionId as bigint, {
        batchId: e.args.batchId as bigint,
        firstSerial: e.args.firstSerial as bigint,
        lastSerial: e.args.lastSerial as bigint,
      });
    }
  }
  const domain = quorumDomain(deployment.chainId, deployment.contracts.quorum);
  const consumers: Record<string, Abi> = {
    [deployment.contracts.bridge.toLowerCase()]: registryBridgeAbi,
    [deployment.contracts.certificate.toLowerCase()]: retirementCertificateAbi,
  };

  const verdicts: AttestationVerdict[] = [];
  for (const e of events.filter((x) => x.contract === "OracleQuorum" && x.eventName === "AttestationConsumed")) {
    const digest = e.args.digest as Hash;
    const epoch = e.args.epoch as bigint;
    const consumer = (e.args.consumer as Address).toLowerCase();
    const recorded = (e.args.signers as Address[]).map((s) => s.toLowerCase());
    const base = { digest, txHash: e.txHash, epoch };
    const abi = consumers[consumer];
    const tx = await client.getTransaction({ hash: e.txHash });
    if (abi === undefined || tx.to?.toLowerCase() !== consumer) {
      verdicts.push({ ...base, kind: null, outcome: "unverifiable", problem: `consumed by ${consumer} in a call this audit cannot decode (transaction to ${tx.to})` });
      continue;
    }
    let kind: AttestationKind;
    let message: Record<string, unknown>;
    let signatures: Hex;
    try {
      const call = decodeFunctionData({ abi, data: tx.input });
      const a = call.args as readonly unknown[];
      if (call.functionName === "tokenize") {
        kind = "TokenizeAttestation";
        message = { batch: a[0] as BatchInfoTuple, owner: a[1], lockRef: a[2], epoch: a[4], deadline: a[5] };
        signatures = a[6] as Hex;
      } else if (call.functionName === "finalizeRedemption") {
        kind = "RedemptionResult";
        const redemption = redemptions.get(a[0] as bigint);
        if (redemption === undefined) throw new Error(`redemption ${a[0]} was never requested on-chain`);
        message = { redemptionId: a[0], ...redemption, accepted: a[1], registryRef: a[2], epoch: a[3], deadline: a[4] };
        signatures = a[5] as Hex;
      } else if (call.functionName === "confirmRetirement") {
        kind = "RetirementConfirmation";
        const lastSerial = lastSerialOfCertificate.get(a[0] as bigint);
        if (lastSerial === undefined) throw new Error(`certificate ${a[0]} was never minted on-chain`);
        message = { certificateId: a[0], lastSerial, accepted: a[1], registryRef: a[2], epoch: a[3], deadline: a[4] };
        signatures = a[5] as Hex;
      } else {
        verdicts.push({ ...base, kind: null, outcome: "unverifiable", problem: `consumed by a call to ${call.functionName}` });
        continue;
      }
    } catch (error) {
      verdicts.push({ ...base, kind: null, outcome: "failed", problem: `cannot rebuild the attested message: ${(error as Error).message}` });
      continue;
    }
    const problem = await checkSignatures(kind, message, signatures, digest, epoch, recorded, signerSets.get(epoch), domain);
    verdicts.push({ ...base, kind, outcome: problem === undefined ? "ok" : "failed", ...(problem === undefined ? {} : { problem }) });
  }
  return verdicts;
}

async function checkSignatures(
  kind: AttestationKind,
  message: Record<string, unknown>,
  signatures: Hex,
  digest: Hash,
  epoch: bigint,
  recorded: readonly string[],
  set: SignerSet | undefined,
  domain: ReturnType<typeof quorumDomain>,
): Promise<string | undefined> {
  if (set === undefined) return `no SignerSetUpdated event for epoch ${epoch}`;
  if (message.epoch !== epoch) return `calldata epoch ${String(message.epoch)} differs from the consumed epoch ${epoch}`;
  const computed = hashTypedData({ domain, types: ATTESTATION_TYPES[kind], primaryType: kind, message } as Parameters<typeof hashTypedData>[0]);
  if (computed !== digest) return `recomputed EIP-712 digest ${computed} differs from the consumed digest`;
  const parts = splitSignatures(signatures);
  if (parts === undefined) return `signatures are not a whole number of 65-byte signatures (${(signatures.length - 2) / 2} bytes)`;
  const recovered: string[] = [];
  for (const signature of parts) {
    let signer: string;
    try {
      signer = (await recoverAddress({ hash: digest, signature })).toLowerCase();
    } catch (error) {
      return `a signature does not recover: ${(error as Error).message}`;
    }
    if (!set.signers.has(signer)) return `signer ${signer} is not in the signer set of epoch ${epoch}`;
    if (recovered.includes(signer)) return `signer ${signer} signed twice`;
    recovered.push(signer);
  }
  if (recovered.length < set.threshold) return `${recovered.length} signatures, epoch ${epoch} needs ${set.threshold}`;
  if (recovered.join() !== recorded.join()) return `recovered signers ${recovered.join(", ")} differ from the recorded ${recorded.join(", ")}`;
  return undefined;
}
