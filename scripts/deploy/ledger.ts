/**
 * Deploys and wires the on-chain ledger with ethers + TypeChain. Used by `scripts/deploy.ts`
 * (any network), by `npm start` (in-process chain) and by the contract tests' fixture.
 */
import type { Signer } from "ethers";
import {
  CarbonCredit__factory,
  IdentityRegistry__factory,
  MRVRegistry__factory,
  OracleQuorum__factory,
  RegistryBridge__factory,
  RetirementCertificate__factory,
  SettlementEscrow__factory,
  TestStablecoin__factory,
} from "../../typechain-types";
import type {
  CarbonCredit,
  IdentityRegistry,
  MRVRegistry,
  OracleQuorum,
  RegistryBridge,
  RetirementCertificate,
  SettlementEscrow,
  TestStablecoin,
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
  /**
   * Settlement: the stablecoin (a TestStablecoin is deployed when absent), fee treasury and fee
   * in basis points. Default: test stablecoin, treasury = admin, no fee. `false` deploys the
   * ledger without settlement (contract tests that bring their own escrow).
   */
  settlement?: { paymentToken?: string; treasury: string; feeBps: number } | false;
  /** MRV verifiers: VERIFIER_ROLE on MRVRegistry (default none; the quorum can attest too). */
  mrvVerifiers?: string[];
}

export interface Ledger {
  identity: IdentityRegistry;
  quorum: OracleQuorum;
  credit: CarbonCredit;
  certificate: RetirementCertificate;
  bridge: RegistryBridge;
  /** MRV dataset attestations (quorum consumer). */
  mrv: MRVRegistry;
  /** Absent when deployed with `settlement: false`. */
  escrow?: SettlementEscrow;
  /** Set when this deployment created the test stablecoin. */
  stablecoin?: TestStablecoin;
  paymentToken?: string;
}

/** Custody identity of platform contracts: verified, no KYC expiry in practice. */
const CUSTODY_IDENTITY_YEARS = 50;

export interface LedgerDeployment {
  chainId: number;
  deployedAt: string;
  blockNumber: number;
  contracts: {
    identity: string;
    quorum: string;
    credit: string;
    certificate: string;
    bridge: string;
    mrv?: string;
    escrow?: string;
    stablecoin?: string;
  };
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
  const send = async (steps: Array<() => Promise<{ wait(): Promise<unknown> }>>): Promise<void> => {
    for (const step of steps) await (await step()).wait();
  };
  await send([
    async () => identity.grantRole(await identity.COMPLIANCE_ROLE(), opts.compliance),
    async () => identity.grantRole(await identity.RULE_MANAGER_ROLE(), creditAddress),
    async () => credit.grantRole(await credit.BRIDGE_ROLE(), bridgeAddress),
    async () => credit.grantRole(await credit.COMPLIANCE_ROLE(), opts.compliance),
    async () => credit.grantRole(await credit.PAUSER_ROLE(), opts.pauser),
    async () => credit.setCertificateContract(certificateAddress),
    async () => quorum.grantRole(await quorum.CONSUMER_ROLE(), bridgeAddress),
    async () => quorum.grantRole(await quorum.CONSUMER_ROLE(), certificateAddress),
  ]);
  const mrv = await new MRVRegistry__factory(deployer).deploy(opts.admin, quorumAddress, creditAddress);
  const mrvAddress = await mrv.getAddress();
  await send([
    async () => quorum.grantRole(await quorum.CONSUMER_ROLE(), mrvAddress),
    ...(opts.mrvVerifiers ?? []).map((verifier) => async () => mrv.grantRole(await mrv.VERIFIER_ROLE(), verifier)),
  ]);
  if (opts.settlement === false) return { identity, quorum, credit, certificate, bridge, mrv };

  const settlement = opts.settlement ?? { treasury: opts.admin, feeBps: 0 };
  let stablecoin: TestStablecoin | undefined;
  let paymentToken = settlement.paymentToken;
  if (paymentToken === undefined) {
    stablecoin = await new TestStablecoin__factory(deployer).deploy(opts.admin);
    paymentToken = await stablecoin.getAddress();
  }
  const escrow = await new SettlementEscrow__factory(deployer).deploy(
    opts.admin,
    creditAddress,
    quorumAddress,
    paymentToken,
    settlement.treasury,
    settlement.feeBps,
  );
  const escrowAddress = await escrow.getAddress();
  const deployerAddress = await deployer.getAddress();
  const block = await deployer.provider!.getBlock("latest");
  const custodyExpiry = block!.timestamp + CUSTODY_IDENTITY_YEARS * 365 * 24 * 3600;
  await send([
    async () => credit.grantRole(await credit.CUSTODIAN_ROLE(), escrowAddress),
    async () => escrow.grantRole(await escrow.PAUSER_ROLE(), opts.pauser),
    // The escrow holds staged credits, so it needs a Custody identity. The deployer takes the
    // compliance role only for this one write and gives it back.
    async () => identity.grantRole(await identity.COMPLIANCE_ROLE(), deployerAddress),
    async () =>
      identity.setIdentity(escrowAddress, {
        status: 2, // Verified
        entityType: 4, // Custody
        country: "0x4348", // "CH": any valid code; custody is exempt from jurisdiction rules
        kycExpiry: custodyExpiry,
        sanctionsCleared: true,
        registryAccountsHash: "0x" + "00".repeat(32),
      }),
    async () => identity.renounceRole(await identity.COMPLIANCE_ROLE(), deployerAddress),
  ]);
  return { identity, quorum, credit, certificate, bridge, mrv, escrow, stablecoin, paymentToken };
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
      mrv: await ledger.mrv.getAddress(),
      escrow: ledger.escrow === undefined ? undefined : await ledger.escrow.getAddress(),
      stablecoin: ledger.paymentToken,
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
