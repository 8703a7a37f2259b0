import { ethers } from "hardhat";
import type { HDNodeWallet, Signer, Wallet } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  CarbonCredit,
  IdentityRegistry,
  OracleQuorum,
  RegistryBridge,
  RetirementCertificate,
} from "../../typechain-types";
import type { ICarbonCredit } from "../../typechain-types/contracts/token/CarbonCredit";

/** Identity enums, mirroring IIdentityRegistry. */
export const Status = { None: 0, Pending: 1, Verified: 2, Suspended: 3 } as const;
export const EntityType = { Unspecified: 0, Individual: 1, Company: 2, Government: 3, Custody: 4 } as const;
export const Ineligibility = {
  None: 0,
  NotVerified: 1,
  Frozen: 2,
  SanctionsNotCleared: 3,
  KycExpired: 4,
  WrongJurisdiction: 5,
  EntityTypeNotAllowed: 6,
} as const;
export const CertificateStatus = { None: 0, Pending: 1, Confirmed: 2, Rejected: 3 } as const;
export const RedemptionStatus = CertificateStatus;
export const Label = { CCP: 1, CORSIA: 2, Article6: 4 } as const;

export const ONE_YEAR = 365 * 24 * 3600;

/** Right-padded ASCII, as the contracts store short identifiers. */
export const bytes16 = (s: string): string => ethers.zeroPadBytes(ethers.toUtf8Bytes(s), 16);
export const bytes2 = (s: string): string => (s === "" ? "0x0000" : ethers.hexlify(ethers.toUtf8Bytes(s)));
export const ref = (s: string): string => ethers.id(s);

export type BatchInfo = ICarbonCredit.BatchInfoStruct;
export type RetirementClaim = ICarbonCredit.RetirementClaimStruct;

/** A Verra-style batch over serials [start, end]. */
export function verraBatch(start: bigint, end: bigint, overrides: Partial<BatchInfo> = {}): BatchInfo {
  return {
    registry: bytes16("VERRA"),
    projectId: bytes16("1340"),
    methodology: bytes16("VM0042"),
    serialScope: 0n,
    serialStart: start,
    serialEnd: end,
    vintageStart: 20200101,
    vintageEnd: 20201231,
    country: bytes2("ET"),
    jurisdiction: bytes2(""),
    labels: Label.CCP,
    correspondingAdjustment: 0,
    mrvDatasetId: ethers.ZeroHash,
    serialNumber: `19385-${start}-${end}-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1`,
    ...overrides,
  };
}

export function claim(overrides: Partial<RetirementClaim> = {}): RetirementClaim {
  return {
    beneficiary: ethers.ZeroAddress,
    beneficiaryName: "Acme Corp",
    beneficiaryCommitment: ethers.ZeroHash,
    reason: "Corporate Emissions Inventory Accounting",
    periodStart: 20250101,
    periodEnd: 20251231,
    consumptionCountry: bytes2("US"),
    ...overrides,
  };
}

// ---------------------------------------------------------------- EIP-712 attestations

// The backend's EIP-712 definitions are the single source: signing with them here proves they
// match the type hashes of the contracts.
import { ATTESTATION_TYPES, BATCH_INFO_FIELDS } from "../../backend/src/chain/eip712";
import { deployLedger } from "../../scripts/deploy/ledger";
export { ATTESTATION_TYPES };
export const BATCH_INFO_TYPE: Array<{ name: string; type: string }> = BATCH_INFO_FIELDS.map((f) => ({ ...f }));

export type AttestationKind = keyof typeof ATTESTATION_TYPES;

export interface Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

export async function quorumDomain(quorum: OracleQuorum): Promise<Domain> {
  const { chainId } = await ethers.provider.getNetwork();
  return { name: "CarbonClear OracleQuorum", version: "1", chainId, verifyingContract: await quorum.getAddress() };
}

/** Signs `value` with every wallet and concatenates the signatures in ascending signer order. */
export async function signAttestation(
  domain: Domain,
  kind: AttestationKind,
  value: Record<string, unknown>,
  wallets: ReadonlyArray<Wallet | HDNodeWallet>,
): Promise<string> {
  const types = ATTESTATION_TYPES[kind] as unknown as Record<string, Array<{ name: string; type: string }>>;
  const sorted = [...wallets].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = await Promise.all(sorted.map((w) => w.signTypedData(domain, types, value)));
  return ethers.concat(sigs);
}

/** Deterministic oracle wallets, sorted by address. */
export function oracleWallets(n: number, tag = "oracle"): Wallet[] {
  return Array.from({ length: n }, (_, i) => new ethers.Wallet(ethers.id(`${tag}-${i}`)))
    .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

export async function latestTime(): Promise<number> {
  const block = await ethers.provider.getBlock("latest");
  return block!.timestamp;
}

// ---------------------------------------------------------------- suite

export interface Suite {
  admin: HardhatEthersSigner;
  compliance: HardhatEthersSigner;
  users: HardhatEthersSigner[];
  oracles: Wallet[];
  identity: IdentityRegistry;
  quorum: OracleQuorum;
  credit: CarbonCredit;
  certificate: RetirementCertificate;
  bridge: RegistryBridge;
  domain: Domain;
  /** Writes a verified identity for `wallet`. */
  kyc(wallet: string | Signer, opts?: { country?: string; entityType?: number; expiry?: number; sanctionsCleared?: boolean }): Promise<void>;
  /** Signs and submits a tokenize attestation; returns the batch id. */
  tokenize(batch: BatchInfo, owner: string | Signer, opts?: { hint?: bigint; signers?: Wallet[]; lockRef?: string }): Promise<bigint>;
  /** Quorum signatures over an attestation of `kind` (epoch/deadline filled in when absent). */
  attest(kind: AttestationKind, value: Record<string, unknown>, signers?: Wallet[]): Promise<{ value: Record<string, unknown>; signatures: string }>;
}

async function addr(x: string | Signer): Promise<string> {
  return typeof x === "string" ? x : x.getAddress();
}

/** Deploys and wires the whole ledger: identity, quorum (M of N), credit, certificate, bridge. */
export async function deploySuite(opts: { oracles?: number; threshold?: number } = {}): Promise<Suite> {
  const n = opts.oracles ?? 3;
  const m = opts.threshold ?? 2;
  const [admin, compliance, ...users] = await ethers.getSigners();
  const oracles = oracleWallets(n);

  // The same deployment and role wiring as production (scripts/deploy/ledger.ts); the settlement
  // tests deploy their own escrow on top.
  const { identity, quorum, credit, certificate, bridge } = await deployLedger(admin, {
    admin: admin.address,
    compliance: compliance.address,
    pauser: admin.address,
    oracleSigners: oracles.map((o) => o.address),
    threshold: m,
    settlement: false,
  });

  const domain = await quorumDomain(quorum);

  const suite: Suite = {
    admin,
    compliance,
    users,
    oracles,
    identity: identity as unknown as IdentityRegistry,
    quorum: quorum as unknown as OracleQuorum,
    credit: credit as unknown as CarbonCredit,
    certificate: certificate as unknown as RetirementCertificate,
    bridge: bridge as unknown as RegistryBridge,
    domain,
    async kyc(wallet, o = {}) {
      const expiry = o.expiry ?? (await latestTime()) + ONE_YEAR;
      await identity.connect(compliance).setIdentity(await addr(wallet), {
        status: Status.Verified,
        entityType: o.entityType ?? EntityType.Company,
        country: bytes2(o.country ?? "US"),
        kycExpiry: expiry,
        sanctionsCleared: o.sanctionsCleared ?? true,
        registryAccountsHash: ethers.id("accounts"),
      });
    },
    async attest(kind, value, signers) {
      const epoch = value.epoch ?? (await quorum.epoch());
      const deadline = value.deadline ?? (await latestTime()) + 3600;
      const full = { ...value, epoch, deadline };
      const signatures = await signAttestation(domain, kind, full, signers ?? oracles.slice(0, m));
      return { value: full, signatures };
    },
    async tokenize(batch, owner, o = {}) {
      const ownerAddress = await addr(owner);
      const lockRef = o.lockRef ?? ref(`lock-${batch.serialStart}-${batch.serialEnd}`);
      const { value, signatures } = await suite.attest(
        "TokenizeAttestation",
        { batch, owner: ownerAddress, lockRef },
        o.signers,
      );
      const hint = o.hint ?? (await credit.serialPredecessor(
        await credit.serialNamespace(batch.registry, batch.serialScope),
        batch.serialStart,
      ));
      const tx = await bridge.tokenize(batch, ownerAddress, lockRef, hint, value.epoch as bigint, value.deadline as number, signatures);
      const receipt = await tx.wait();
      for (const log of receipt!.logs) {
        try {
          const parsed = bridge.interface.parseLog(log);
          if (parsed?.name === "Tokenized") return parsed.args.batchId as bigint;
        } catch {
          /* log of another contract */
        }
      }
      throw new Error("Tokenized event missing");
    },
  };
  return suite;
}
