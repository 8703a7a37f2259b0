/**
 * Deploys and wires the on-chain ledger with ethers + TypeChain. Used by `scripts/deploy.ts`
 * (any network), by `npm start` (in-process chain) and by the contract tests' fixture.
 */
import type { Signer } from "ethers";
import {
  CarbonCredit__factory,
  IdentityRegistry__factory,
  OracleQuorum__factory,
  RegistryBridge__factory,
  RetirementCertificate__factory,
} from "../../typechain-types";
import type {
  CarbonCredit,
  IdentityRegistry,
  OracleQuorum,
  RegistryBridge,
  RetirementCertificate,
} from "../../typechain-types";

export interface LedgerOptions {
  /** DEFAULT_ADMIN_ROLE of every contract (a multisig or timelock in production). */
  admin: string;
  /** Compliance officers' key: writes identities, freezes, forces transfers. */
  compliance: string;
  /** Pauser (incident response). */
  pauser: string;
  /** Oracle signer addresses and M. */
  oracleSigners: string[];
  threshold: number;
  /** ERC-1155 metadata URI template. */
  uri?: string;
}

export interface Ledger {
  identity: IdentityRegistry;
  quorum: OracleQuorum;
  credit: CarbonCredit;
  certificate: RetirementCertificate;
  bridge: RegistryBridge;
}

export interface LedgerDeployment {
  chainId: number;
  deployedAt: string;
  blockNumber: number;
  contracts: Record<keyof Ledger, string>;
  roles: { admin: string; compliance: string; pauser: string; oracleSigners: string[]; threshold: number };
}

/**
 * Deploys the five ledger contracts and grants the roles they need of each other. The deployer
 * must be `admin` (it grants the roles); hand admin over to a multisig afterwards in production.
 */
export async function deployLedger(deployer: Signer, opts: LedgerOptions): Promise<Ledger> {
  const sorted = [...opts.oracleSigners].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const identity = await new IdentityRegistry__factory(deployer).deploy(opts.admin);
  const quorum = await new OracleQuorum__factory(deployer).deploy(opts.admin, sorted, opts.threshold);
  const credit = await new CarbonCredit__factory(deployer).deploy(opts.admin, await identity.getAddress(), opts.uri ?? "");
  const creditAddress = await credit.getAddress();
  const quorumAddress = await quorum.getAddress();
  const certificate = await new RetirementCertificate__factory(deployer).deploy(creditAddress, quorumAddress);
  const bridge = await new RegistryBridge__factory(deployer).deploy(creditAddress, quorumAddress);
  const certificateAddress = await certificate.getAddress();
  const bridgeAddress = await bridge.getAddress();

  // One transaction at a time: a plain wallet on a real network must not race its own nonces.
  const grants = [
    async () => identity.grantRole(await identity.COMPLIANCE_ROLE(), opts.compliance),
    async () => identity.grantRole(await identity.RULE_MANAGER_ROLE(), creditAddress),
    async () => credit.grantRole(await credit.BRIDGE_ROLE(), bridgeAddress),
    async () => credit.grantRole(await credit.COMPLIANCE_ROLE(), opts.compliance),
    async () => credit.grantRole(await credit.PAUSER_ROLE(), opts.pauser),
    async () => credit.setCertificateContract(certificateAddress),
    async () => quorum.grantRole(await quorum.CONSUMER_ROLE(), bridgeAddress),
    async () => quorum.grantRole(await quorum.CONSUMER_ROLE(), certificateAddress),
  ];
  for (const send of grants) await (await send()).wait();
  return { identity, quorum, credit, certificate, bridge };
}

/** The deployment record written to disk and read by the backend. */
export async function describeDeployment(ledger: Ledger, opts: LedgerOptions, deployer: Signer): Promise<LedgerDeployment> {
  const provider = deployer.provider!;
  const { chainId } = await provider.getNetwork();
  return {
    chainId: Number(chainId),
    deployedAt: new Date().toISOString(),
    blockNumber: await provider.getBlockNumber(),
    contracts: {
      identity: await ledger.identity.getAddress(),
      quorum: await ledger.quorum.getAddress(),
      credit: await ledger.credit.getAddress(),
      certificate: await ledger.certificate.getAddress(),
      bridge: await ledger.bridge.getAddress(),
    },
    roles: {
      admin: opts.admin,
      compliance: opts.compliance,
      pauser: opts.pauser,
      oracleSigners: opts.oracleSigners,
      threshold: opts.threshold,
    },
  };
}
