import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder, type Wallet } from "ethers";
import type { OracleQuorum } from "../typechain-types";
import { deploySuite, latestTime, oracleWallets, quorumDomain, verraBatch, type Domain } from "./helpers/fixtures";

const CONSUMER_ROLE = ethers.id("CONSUMER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A test attestation type: any struct carrying `epoch` and `deadline` works with the quorum. */
const PING_TYPES = {
  Ping: [
    { name: "payload", type: "bytes32" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
};

interface Ping {
  payload: string;
  epoch: bigint;
  deadline: bigint;
}

const N = 5;
const M = 3;

const sortByAddress = <T extends { address: string }>(ws: readonly T[]): T[] =>
  [...ws].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : BigInt(a.address) > BigInt(b.address) ? 1 : 0));

const structHash = (p: Ping): string => TypedDataEncoder.hashStruct("Ping", PING_TYPES, p);
const typedDigest = (domain: Domain, p: Ping): string => TypedDataEncoder.hash(domain, PING_TYPES, p);

/** Signs `p` with every wallet, in the order given (no sorting), and concatenates the signatures. */
async function signInOrder(domain: Domain, p: Ping, wallets: readonly Wallet[]): Promise<string> {
  const sigs: string[] = [];
  for (const w of wallets) sigs.push(await w.signTypedData(domain, PING_TYPES, p));
  return ethers.concat(sigs);
}

/** Signs `p` with every wallet, signatures ordered by ascending signer address (as the quorum expects). */
const signSorted = (domain: Domain, p: Ping, wallets: readonly Wallet[]): Promise<string> =>
  signInOrder(domain, p, sortByAddress(wallets));

/** The i-th 65-byte signature of a concatenation. */
const sigAt = (sigs: string, i: number): string => ethers.dataSlice(sigs, i * 65, (i + 1) * 65);

// ---- minimal secp256k1 ECDSA with a chosen nonce, to make a second valid (low-s) signature of one key

const SECP256K1_P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const SECP256K1_G: [bigint, bigint] = [
  0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
];
const modp = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [modp(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return modp(t0, m);
}
type Point = [bigint, bigint] | null;
function pointAdd(p1: Point, p2: Point): Point {
  if (p1 === null) return p2;
  if (p2 === null) return p1;
  const [x1, y1] = p1;
  const [x2, y2] = p2;
  if (x1 === x2 && modp(y1 + y2, SECP256K1_P) === 0n) return null;
  const l =
    x1 === x2
      ? modp(3n * x1 * x1 * modInv(2n * y1, SECP256K1_P), SECP256K1_P)
      : modp((y2 - y1) * modInv(x2 - x1, SECP256K1_P), SECP256K1_P);
  const x3 = modp(l * l - x1 - x2, SECP256K1_P);
  return [x3, modp(l * (x1 - x3) - y1, SECP256K1_P)];
}
function scalarMul(k: bigint, point: Point): Point {
  let acc: Point = null;
  let add = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) acc = pointAdd(acc, add);
    add = pointAdd(add, add);
  }
  return acc;
}
/** ECDSA over `digest` with nonce `k` (not RFC 6979), normalised to low s, as 65-byte r||s||v. */
function signWithNonce(digest: string, privateKey: string, k: bigint): string {
  const R = scalarMul(k, SECP256K1_G)!;
  const r = modp(R[0], SECP256K1_N);
  let s = modp(modInv(k, SECP256K1_N) * (BigInt(digest) + r * BigInt(privateKey)), SECP256K1_N);
  let odd = (R[1] & 1n) === 1n;
  if (s > SECP256K1_N / 2n) {
    s = SECP256K1_N - s;
    odd = !odd;
  }
  return ethers.concat([ethers.toBeHex(r, 32), ethers.toBeHex(s, 32), ethers.toBeHex(odd ? 28 : 27, 1)]);
}

async function quorumFixture() {
  const [admin, consumer, outsider, otherConsumer] = await ethers.getSigners();
  const oracles = oracleWallets(N, "quorum-test");
  const strangers = oracleWallets(3, "stranger");
  const quorum = (await ethers.deployContract("OracleQuorum", [
    admin.address,
    oracles.map((o) => o.address),
    M,
  ])) as unknown as OracleQuorum;
  await quorum.connect(admin).grantRole(CONSUMER_ROLE, consumer.address);
  const domain = await quorumDomain(quorum);
  return { admin, consumer, outsider, otherConsumer, oracles, strangers, quorum, domain };
}

describe("OracleQuorum", () => {
  let f: Awaited<ReturnType<typeof quorumFixture>>;
  let quorum: OracleQuorum;
  let domain: Domain;
  let counter = 0;

  beforeEach(async () => {
    f = await loadFixture(quorumFixture);
    quorum = f.quorum;
    domain = f.domain;
  });

  /** A fresh Ping for the current epoch, valid for an hour. */
  async function ping(overrides: Partial<Ping> = {}): Promise<Ping> {
    return {
      payload: ethers.id(`ping-${counter++}`),
      epoch: await quorum.epoch(),
      deadline: BigInt(await latestTime()) + 3600n,
      ...overrides,
    };
  }

  function consume(p: Ping, signatures: string, from = f.consumer) {
    return quorum.connect(from).consume(structHash(p), p.epoch, p.deadline, signatures);
  }

  // ------------------------------------------------------------------ construction

  describe("construction", () => {
    it("starts at epoch 1 with the given set and threshold, and emits SignerSetUpdated", async () => {
      const addrs = f.oracles.map((o) => o.address);
      expect(await quorum.epoch()).to.equal(1n);
      expect(await quorum.threshold()).to.equal(M);
      expect(await quorum.signers()).to.deep.equal(addrs);
      for (const a of addrs) expect(await quorum.isSigner(a)).to.equal(true);
      for (const st of f.strangers) expect(await quorum.isSigner(st.address)).to.equal(false);
      expect(await quorum.isSigner(ethers.ZeroAddress)).to.equal(false);
      expect(await quorum.MAX_SIGNERS()).to.equal(32n);
      expect(await quorum.CONSUMER_ROLE()).to.equal(CONSUMER_ROLE);

      const fresh = await ethers.deployContract("OracleQuorum", [f.admin.address, addrs, 2]);
      await expect(fresh.deploymentTransaction()).to.emit(fresh, "SignerSetUpdated").withArgs(1n, addrs, 2);
    });

    it("grants DEFAULT_ADMIN_ROLE to the admin and CONSUMER_ROLE to nobody", async () => {
      const fresh = await ethers.deployContract("OracleQuorum", [f.outsider.address, [f.oracles[0].address], 1]);
      expect(await fresh.hasRole(DEFAULT_ADMIN_ROLE, f.outsider.address)).to.equal(true);
      expect(await fresh.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address)).to.equal(false);
      expect(await fresh.hasRole(CONSUMER_ROLE, f.outsider.address)).to.equal(false);
      expect(await fresh.getRoleAdmin(CONSUMER_ROLE)).to.equal(DEFAULT_ADMIN_ROLE);
    });

    it("rejects a zero admin", async () => {
      const factory = await ethers.getContractFactory("OracleQuorum");
      await expect(factory.deploy(ethers.ZeroAddress, [f.oracles[0].address], 1)).to.be.revertedWithCustomError(
        factory,
        "ZeroAddress",
      );
    });

    it("validates the initial set", async () => {
      const factory = await ethers.getContractFactory("OracleQuorum");
      const a = f.oracles.map((o) => o.address);
      await expect(factory.deploy(f.admin.address, a, 0))
        .to.be.revertedWithCustomError(factory, "InvalidThreshold")
        .withArgs(0, N);
      await expect(factory.deploy(f.admin.address, a, N + 1))
        .to.be.revertedWithCustomError(factory, "InvalidThreshold")
        .withArgs(N + 1, N);
      await expect(factory.deploy(f.admin.address, [], 1))
        .to.be.revertedWithCustomError(factory, "InvalidThreshold")
        .withArgs(1, 0);
      const many = oracleWallets(33, "many").map((o) => o.address);
      await expect(factory.deploy(f.admin.address, many, 1))
        .to.be.revertedWithCustomError(factory, "TooManySigners")
        .withArgs(33);
      await expect(factory.deploy(f.admin.address, [a[0], ethers.ZeroAddress, a[1]], 1))
        .to.be.revertedWithCustomError(factory, "ZeroAddressSigner");
      await expect(factory.deploy(f.admin.address, [a[0], a[1], a[2], a[1]], 2))
        .to.be.revertedWithCustomError(factory, "DuplicateSignerInSet")
        .withArgs(a[1]);
    });

    it("accepts threshold == N and exactly MAX_SIGNERS signers", async () => {
      const a = f.oracles.map((o) => o.address);
      const full = await ethers.deployContract("OracleQuorum", [f.admin.address, a, N]);
      expect(await full.threshold()).to.equal(N);
      const max = oracleWallets(32, "max").map((o) => o.address);
      const big = await ethers.deployContract("OracleQuorum", [f.admin.address, max, 32]);
      expect(await big.signers()).to.deep.equal(max);
      expect(await big.threshold()).to.equal(32);
    });
  });

  // ------------------------------------------------------------------ setSignerSet

  describe("setSignerSet", () => {
    it("only DEFAULT_ADMIN_ROLE can rotate the set", async () => {
      const a = f.strangers.map((o) => o.address);
      for (const caller of [f.outsider, f.consumer]) {
        await expect(quorum.connect(caller).setSignerSet(a, 2))
          .to.be.revertedWithCustomError(quorum, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
      }
      expect(await quorum.epoch()).to.equal(1n);
    });

    it("replaces the set, bumps the epoch and emits SignerSetUpdated", async () => {
      const kept = f.oracles.slice(0, 2).map((o) => o.address);
      const removed = f.oracles.slice(2).map((o) => o.address);
      const added = f.strangers.map((o) => o.address);
      const next = [...kept, ...added];
      await expect(quorum.connect(f.admin).setSignerSet(next, 4))
        .to.emit(quorum, "SignerSetUpdated")
        .withArgs(2n, next, 4);
      expect(await quorum.epoch()).to.equal(2n);
      expect(await quorum.threshold()).to.equal(4);
      expect(await quorum.signers()).to.deep.equal(next);
      for (const a of [...kept, ...added]) expect(await quorum.isSigner(a)).to.equal(true);
      for (const a of removed) expect(await quorum.isSigner(a)).to.equal(false);

      await expect(quorum.connect(f.admin).setSignerSet(kept, 1))
        .to.emit(quorum, "SignerSetUpdated")
        .withArgs(3n, kept, 1);
      expect(await quorum.epoch()).to.equal(3n);
      for (const a of added) expect(await quorum.isSigner(a)).to.equal(false);
    });

    it("validates the new set and changes nothing on failure", async () => {
      const a = f.strangers.map((o) => o.address);
      const q = quorum.connect(f.admin);
      await expect(q.setSignerSet(a, 0)).to.be.revertedWithCustomError(quorum, "InvalidThreshold").withArgs(0, 3);
      await expect(q.setSignerSet(a, 4)).to.be.revertedWithCustomError(quorum, "InvalidThreshold").withArgs(4, 3);
      await expect(q.setSignerSet([], 1)).to.be.revertedWithCustomError(quorum, "InvalidThreshold").withArgs(1, 0);
      const many = oracleWallets(33, "many").map((o) => o.address);
      await expect(q.setSignerSet(many, 2)).to.be.revertedWithCustomError(quorum, "TooManySigners").withArgs(33);
      await expect(q.setSignerSet([a[0], ethers.ZeroAddress], 1)).to.be.revertedWithCustomError(quorum, "ZeroAddressSigner");
      await expect(q.setSignerSet([a[0], a[1], a[0]], 2))
        .to.be.revertedWithCustomError(quorum, "DuplicateSignerInSet")
        .withArgs(a[0]);
      // A member of the current set listed twice in the new one is a duplicate too.
      const cur = f.oracles[0].address;
      await expect(q.setSignerSet([cur, cur], 1))
        .to.be.revertedWithCustomError(quorum, "DuplicateSignerInSet")
        .withArgs(cur);

      expect(await quorum.epoch()).to.equal(1n);
      expect(await quorum.threshold()).to.equal(M);
      expect(await quorum.signers()).to.deep.equal(f.oracles.map((o) => o.address));
      for (const st of f.strangers) expect(await quorum.isSigner(st.address)).to.equal(false);
      for (const o of f.oracles) expect(await quorum.isSigner(o.address)).to.equal(true);
    });

    it("re-installing the same set still starts a new epoch and voids earlier signatures", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      await quorum.connect(f.admin).setSignerSet(f.oracles.map((o) => o.address), M);
      expect(await quorum.epoch()).to.equal(2n);
      await expect(consume(p, sigs)).to.be.revertedWithCustomError(quorum, "StaleEpoch").withArgs(1n, 2n);
    });

    it("a raised threshold makes M-1 of the new M insufficient; a lowered one accepts fewer", async () => {
      await quorum.connect(f.admin).setSignerSet(f.oracles.map((o) => o.address), 4);
      let p = await ping();
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(0, 3))))
        .to.be.revertedWithCustomError(quorum, "InsufficientSignatures")
        .withArgs(3, 4);
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(0, 4)))).to.emit(quorum, "AttestationConsumed");

      await quorum.connect(f.admin).setSignerSet(f.oracles.map((o) => o.address), 1);
      p = await ping();
      await expect(consume(p, await signSorted(domain, p, [f.oracles[4]]))).to.emit(quorum, "AttestationConsumed");
    });
  });

  // ------------------------------------------------------------------ views

  describe("views", () => {
    it("digestOf is the EIP-712 digest under this quorum's domain", async () => {
      const p = await ping();
      const d = typedDigest(domain, p);
      expect(await quorum.digestOf(structHash(p))).to.equal(d);
      expect(domain.name).to.equal("CarbonClear OracleQuorum");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(31337n);
      const [, name, version, chainId, verifyingContract] = await quorum.eip712Domain();
      expect([name, version, chainId, verifyingContract]).to.deep.equal([
        domain.name,
        domain.version,
        domain.chainId,
        await quorum.getAddress(),
      ]);
      // Different payloads, epochs or deadlines give different digests.
      expect(await quorum.digestOf(structHash({ ...p, payload: ethers.id("x") }))).not.to.equal(d);
      expect(await quorum.digestOf(structHash({ ...p, epoch: p.epoch + 1n }))).not.to.equal(d);
      expect(await quorum.digestOf(structHash({ ...p, deadline: p.deadline + 1n }))).not.to.equal(d);
    });

    it("isConsumed is false until the digest is consumed", async () => {
      const p = await ping();
      const d = typedDigest(domain, p);
      expect(await quorum.isConsumed(d)).to.equal(false);
      expect(await quorum.isConsumed(ethers.ZeroHash)).to.equal(false);
      await consume(p, await signSorted(domain, p, f.oracles.slice(0, M)));
      expect(await quorum.isConsumed(d)).to.equal(true);
      expect(await quorum.isConsumed(structHash(p))).to.equal(false); // keyed by digest, not struct hash
    });
  });

  // ------------------------------------------------------------------ happy paths

  describe("consume and verify: accepted attestations", () => {
    it("accepts exactly M of N signatures; verify returns the digest and the ascending signers", async () => {
      const p = await ping();
      const signers = sortByAddress(f.oracles.slice(0, M));
      const sigs = await signSorted(domain, p, signers);
      const d = typedDigest(domain, p);
      const addrs = signers.map((w) => w.address);

      // verify is a view anyone may call, and consumes nothing.
      const [vd, recovered] = await quorum.connect(f.outsider).verify(structHash(p), p.epoch, p.deadline, sigs);
      expect(vd).to.equal(d);
      expect(recovered).to.deep.equal(addrs);
      expect(await quorum.isConsumed(d)).to.equal(false);
      expect(await quorum.connect(f.outsider).verifyQuorum(structHash(p), p.epoch, p.deadline, sigs)).to.equal(d);

      expect(await quorum.connect(f.consumer).consume.staticCall(structHash(p), p.epoch, p.deadline, sigs)).to.equal(d);
      await expect(consume(p, sigs))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(d, f.consumer.address, 1n, addrs);
      expect(await quorum.isConsumed(d)).to.equal(true);
      // verifyQuorum checks the signatures only: consumers using it keep their own replay record
      expect(await quorum.verifyQuorum(structHash(p), p.epoch, p.deadline, sigs)).to.equal(d);
    });

    it("accepts all N signatures", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles);
      const addrs = sortByAddress(f.oracles).map((w) => w.address);
      const [, recovered] = await quorum.verify(structHash(p), p.epoch, p.deadline, sigs);
      expect(recovered).to.deep.equal(addrs);
      await expect(consume(p, sigs))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(typedDigest(domain, p), f.consumer.address, 1n, addrs);
    });

    it("accepts any M-subset of the set, not only the first M", async () => {
      const subsets = [
        [0, 2, 4],
        [1, 3, 4],
        [2, 3, 4],
        [0, 1, 3, 4],
      ];
      for (const idx of subsets) {
        const p = await ping();
        const ws = idx.map((i) => f.oracles[i]);
        await expect(consume(p, await signSorted(domain, p, ws)))
          .to.emit(quorum, "AttestationConsumed")
          .withArgs(typedDigest(domain, p), f.consumer.address, 1n, sortByAddress(ws).map((w) => w.address));
      }
    });

    it("every CONSUMER_ROLE holder may consume, and the event names the caller", async () => {
      await quorum.connect(f.admin).grantRole(CONSUMER_ROLE, f.otherConsumer.address);
      const p = await ping();
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(1, 4)), f.otherConsumer))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(typedDigest(domain, p), f.otherConsumer.address, 1n, sortByAddress(f.oracles.slice(1, 4)).map((w) => w.address));
    });

    it("the suite's quorum accepts attestations of its own oracles (fixture wiring)", async () => {
      const s = await loadFixture(deploySuite);
      const [c] = s.users;
      await s.quorum.connect(s.admin).grantRole(CONSUMER_ROLE, c.address);
      const p: Ping = { payload: ethers.id("suite"), epoch: await s.quorum.epoch(), deadline: BigInt(await latestTime()) + 60n };
      const sigs = await signSorted(s.domain, p, s.oracles.slice(0, 2));
      await expect(s.quorum.connect(c).consume(structHash(p), p.epoch, p.deadline, sigs))
        .to.emit(s.quorum, "AttestationConsumed")
        .withArgs(typedDigest(s.domain, p), c.address, 1n, sortByAddress(s.oracles.slice(0, 2)).map((w) => w.address));
    });
    it("names the consuming contract (msg.sender, not tx.origin) when a contract consumes", async () => {
      const s = await loadFixture(deploySuite);
      const [owner] = s.users;
      await s.kyc(owner);
      // The bridge (a CONSUMER_ROLE contract) consumes; the transaction is sent by the suite's admin.
      await s.tokenize(verraBatch(5000n, 5099n), owner);
      const events = await s.quorum.queryFilter(s.quorum.filters.AttestationConsumed());
      expect(events.length).to.equal(1);
      const [digest, consumer, epoch, signers] = events[0].args;
      expect(consumer).to.equal(await s.bridge.getAddress());
      expect(consumer).not.to.equal(s.admin.address);
      expect(epoch).to.equal(1n);
      expect(signers).to.deep.equal(s.oracles.slice(0, 2).map((o) => o.address));
      expect(await s.quorum.isConsumed(digest)).to.equal(true);
    });
  });

  // ------------------------------------------------------------------ access

  describe("consume access control", () => {
    it("only CONSUMER_ROLE may consume (not the admin, not a stranger, not a revoked consumer)", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      for (const caller of [f.outsider, f.admin]) {
        await expect(consume(p, sigs, caller))
          .to.be.revertedWithCustomError(quorum, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, CONSUMER_ROLE);
      }
      await quorum.connect(f.admin).revokeRole(CONSUMER_ROLE, f.consumer.address);
      await expect(consume(p, sigs))
        .to.be.revertedWithCustomError(quorum, "AccessControlUnauthorizedAccount")
        .withArgs(f.consumer.address, CONSUMER_ROLE);
      // Nobody burned the attestation.
      expect(await quorum.isConsumed(typedDigest(domain, p))).to.equal(false);
      await quorum.connect(f.admin).grantRole(CONSUMER_ROLE, f.consumer.address);
      await expect(consume(p, sigs)).to.emit(quorum, "AttestationConsumed");
    });
  });

  // ------------------------------------------------------------------ rejections

  describe("consume and verify: rejected attestations", () => {
    /** Asserts that verify, consume and (but for a replay) verifyQuorum revert with `error(args)`. */
    async function expectRejected(p: Ping, sigs: string, error: string, args?: unknown[]) {
      const v = expect(quorum.verify(structHash(p), p.epoch, p.deadline, sigs)).to.be.revertedWithCustomError(quorum, error);
      const c = expect(consume(p, sigs)).to.be.revertedWithCustomError(quorum, error);
      const q =
        error === "AttestationAlreadyUsed"
          ? undefined
          : expect(quorum.verifyQuorum(structHash(p), p.epoch, p.deadline, sigs)).to.be.revertedWithCustomError(quorum, error);
      if (args) {
        await v.withArgs(...args);
        await c.withArgs(...args);
        await q?.withArgs(...args);
      } else {
        await v;
        await c;
        await q;
      }
      // A rejected attestation is never burned (a replayed one stays consumed).
      expect(await quorum.isConsumed(typedDigest(domain, p))).to.equal(error === "AttestationAlreadyUsed");
    }

    it("InsufficientSignatures below the threshold (M-1, one, none)", async () => {
      const p = await ping();
      await expectRejected(p, await signSorted(domain, p, f.oracles.slice(0, M - 1)), "InsufficientSignatures", [M - 1, M]);
      await expectRejected(p, await signSorted(domain, p, [f.oracles[3]]), "InsufficientSignatures", [1, M]);
      await expectRejected(p, "0x", "InsufficientSignatures", [0, M]);
    });

    it("MalformedSignatures when the length is not a multiple of 65", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      for (const bytes of [
        ethers.dataSlice(sigs, 0, 64),
        ethers.dataSlice(sigs, 0, 3 * 65 - 1),
        ethers.concat([sigs, "0x00"]),
        ethers.concat([sigs, ethers.dataSlice(sigs, 0, 64)]),
        "0x01",
      ]) {
        await expectRejected(p, bytes, "MalformedSignatures", [ethers.dataLength(bytes)]);
      }
    });

    it("UnknownSigner for a key outside the set, even alongside a full quorum", async () => {
      const p = await ping();
      const stranger = f.strangers[0];
      // Stranger in place of a member.
      await expectRejected(p, await signSorted(domain, p, [...f.oracles.slice(0, M - 1), stranger]), "UnknownSigner", [
        stranger.address,
      ]);
      // Stranger in addition to M valid members.
      await expectRejected(p, await signSorted(domain, p, [...f.oracles.slice(0, M), stranger]), "UnknownSigner", [
        stranger.address,
      ]);
    });

    it("UnknownSigner for a member of an earlier epoch after rotation", async () => {
      const removed = f.oracles[0];
      await quorum.connect(f.admin).setSignerSet(f.oracles.slice(1).map((o) => o.address), M);
      const p = await ping(); // epoch 2
      expect(p.epoch).to.equal(2n);
      await expectRejected(p, await signSorted(domain, p, [removed, ...f.oracles.slice(1, M)]), "UnknownSigner", [
        removed.address,
      ]);
      // The remaining members still form a quorum.
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(1, M + 1)))).to.emit(quorum, "AttestationConsumed");
    });

    it("DuplicateSigner when a signature is repeated", async () => {
      const p = await ping();
      const sorted = sortByAddress(f.oracles.slice(0, M));
      const sigs = await signInOrder(domain, p, [sorted[0], sorted[0], sorted[1]]);
      await expectRejected(p, sigs, "DuplicateSigner", [sorted[0].address]);
      // M copies of one member's signature are not a quorum.
      const solo = await signInOrder(domain, p, [sorted[2], sorted[2], sorted[2]]);
      await expectRejected(p, solo, "DuplicateSigner", [sorted[2].address]);
    });

    it("DuplicateSigner for two different valid signatures by the same key", async () => {
      const p = await ping();
      const [a, b] = sortByAddress(f.oracles.slice(0, 2));
      const digest = typedDigest(domain, p);
      const sigA = sigAt(await signInOrder(domain, p, [a]), 0);
      const sigA2 = signWithNonce(digest, a.privateKey, 0xc0ffeen);
      expect(sigA2).not.to.equal(sigA);
      expect(ethers.recoverAddress(digest, sigA2)).to.equal(a.address);
      const sigB = sigAt(await signInOrder(domain, p, [b]), 0);
      await expectRejected(p, ethers.concat([sigA, sigA2, sigB]), "DuplicateSigner", [a.address]);
    });

    it("SignersNotAscending when signatures are out of address order", async () => {
      const p = await ping();
      const [a, b, c] = sortByAddress(f.oracles.slice(0, M));
      await expectRejected(p, await signInOrder(domain, p, [c, b, a]), "SignersNotAscending", [b.address, c.address]);
      await expectRejected(p, await signInOrder(domain, p, [a, c, b]), "SignersNotAscending", [b.address, c.address]);
      // A non-adjacent repeat is caught by the ordering rule.
      await expectRejected(p, await signInOrder(domain, p, [a, b, a]), "SignersNotAscending", [a.address, b.address]);
    });

    it("StaleEpoch for an attestation signed for the previous epoch", async () => {
      const p = await ping(); // epoch 1
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      await quorum.connect(f.admin).setSignerSet(f.oracles.map((o) => o.address), M);
      await expectRejected(p, sigs, "StaleEpoch", [1n, 2n]);
    });

    it("StaleEpoch for a future epoch", async () => {
      const p = await ping({ epoch: 2n });
      await expectRejected(p, await signSorted(domain, p, f.oracles.slice(0, M)), "StaleEpoch", [2n, 1n]);
      const z = await ping({ epoch: 0n });
      await expectRejected(z, await signSorted(domain, z, f.oracles.slice(0, M)), "StaleEpoch", [0n, 1n]);
    });

    it("AttestationExpired once the deadline has passed; valid at deadline == block.timestamp", async () => {
      const t = BigInt(await latestTime()) + 100n;
      const onTime = await ping({ deadline: t });
      const late = await ping({ deadline: t - 1n });
      const lateNextBlock = await ping({ deadline: t });
      const signers = f.oracles.slice(0, M);
      const onTimeSigs = await signSorted(domain, onTime, signers);
      const lateSigs = await signSorted(domain, late, signers);
      const lateNextBlockSigs = await signSorted(domain, lateNextBlock, signers);

      await time.setNextBlockTimestamp(t);
      await expect(consume(onTime, onTimeSigs))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(typedDigest(domain, onTime), f.consumer.address, 1n, sortByAddress(signers).map((w) => w.address));
      expect(await latestTime()).to.equal(Number(t));
      // In that same block, a deadline one second earlier is expired.
      await expect(quorum.verify(structHash(late), late.epoch, late.deadline, lateSigs))
        .to.be.revertedWithCustomError(quorum, "AttestationExpired")
        .withArgs(t - 1n);

      // One second after the deadline, consume refuses.
      await time.setNextBlockTimestamp(t + 1n);
      await expect(consume(lateNextBlock, lateNextBlockSigs))
        .to.be.revertedWithCustomError(quorum, "AttestationExpired")
        .withArgs(t);
      expect(await quorum.isConsumed(typedDigest(domain, lateNextBlock))).to.equal(false);
    });

    it("verify follows the same deadline boundary", async () => {
      const t = BigInt(await latestTime()) + 100n;
      const p = await ping({ deadline: t });
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      await time.increaseTo(t);
      const [d] = await quorum.verify(structHash(p), p.epoch, p.deadline, sigs);
      expect(d).to.equal(typedDigest(domain, p));
      await time.increaseTo(t + 1n);
      await expectRejected(p, sigs, "AttestationExpired", [t]);
      const zero = await ping({ deadline: 0n });
      await expectRejected(zero, await signSorted(domain, zero, f.oracles.slice(0, M)), "AttestationExpired", [0n]);
    });

    it("AttestationAlreadyUsed on replay, including with a different set of signatures", async () => {
      const p = await ping();
      const d = typedDigest(domain, p);
      await consume(p, await signSorted(domain, p, f.oracles.slice(0, M)));
      await expectRejected(p, await signSorted(domain, p, f.oracles.slice(0, M)), "AttestationAlreadyUsed", [d]);
      await expectRejected(p, await signSorted(domain, p, f.oracles.slice(2)), "AttestationAlreadyUsed", [d]);
      await expectRejected(p, await signSorted(domain, p, f.oracles), "AttestationAlreadyUsed", [d]);
      // Another consumer cannot replay it either.
      await quorum.connect(f.admin).grantRole(CONSUMER_ROLE, f.otherConsumer.address);
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(0, M)), f.otherConsumer))
        .to.be.revertedWithCustomError(quorum, "AttestationAlreadyUsed")
        .withArgs(d);
      expect(await quorum.isConsumed(d)).to.equal(true);
    });

    it("rejects signatures over another chain's domain (cross-chain replay)", async () => {
      const p = await ping();
      const foreign: Domain = { ...domain, chainId: 1n };
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      const foreignSigs = await signSorted(foreign, p, f.oracles.slice(0, M));
      // Control: the same payload signed for this chain is valid.
      await quorum.verify(structHash(p), p.epoch, p.deadline, sigs);
      // Under this chain's digest, the first foreign signature recovers to an unrelated address.
      const bogus = ethers.recoverAddress(typedDigest(domain, p), sigAt(foreignSigs, 0));
      expect(f.oracles.map((o) => o.address)).not.to.include(bogus);
      await expectRejected(p, foreignSigs, "UnknownSigner", [bogus]);
    });

    it("rejects signatures made for another verifying contract", async () => {
      const twin = (await ethers.deployContract("OracleQuorum", [
        f.admin.address,
        f.oracles.map((o) => o.address),
        M,
      ])) as unknown as OracleQuorum;
      await twin.connect(f.admin).grantRole(CONSUMER_ROLE, f.consumer.address);
      const twinDomain = await quorumDomain(twin);
      expect(twinDomain.verifyingContract).not.to.equal(domain.verifyingContract);
      const p = await ping();
      const twinSigs = await signSorted(twinDomain, p, f.oracles.slice(0, M));
      // Control: they are valid on the twin.
      const [twinDigest] = await twin.verify(structHash(p), p.epoch, p.deadline, twinSigs);
      expect(twinDigest).to.equal(typedDigest(twinDomain, p));
      expect(twinDigest).not.to.equal(typedDigest(domain, p));
      const bogus = ethers.recoverAddress(typedDigest(domain, p), sigAt(twinSigs, 0));
      await expectRejected(p, twinSigs, "UnknownSigner", [bogus]);
      // Consuming on the twin does not consume here, and vice versa.
      await twin.connect(f.consumer).consume(structHash(p), p.epoch, p.deadline, twinSigs);
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(0, M)))).to.emit(quorum, "AttestationConsumed");
    });

    it("rejects signatures over a different struct (payload, epoch or deadline changed after signing)", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      const tampered = { ...p, payload: ethers.id("tampered") };
      const bogus = ethers.recoverAddress(typedDigest(domain, tampered), sigAt(sigs, 0));
      await expectRejected(tampered, sigs, "UnknownSigner", [bogus]);
      const later = { ...p, deadline: p.deadline + 1n };
      await expectRejected(later, sigs, "UnknownSigner", [ethers.recoverAddress(typedDigest(domain, later), sigAt(sigs, 0))]);
    });

    it("rejects a malleable high-s signature (ECDSAInvalidSignatureS)", async () => {
      const p = await ping();
      const sorted = sortByAddress(f.oracles.slice(0, M));
      const sigs = await signSorted(domain, p, sorted);
      const first = sigAt(sigs, 0);
      const r = ethers.dataSlice(first, 0, 32);
      const sLow = BigInt(ethers.dataSlice(first, 32, 64));
      const v = ethers.getBytes(first)[64];
      const sHigh = ethers.toBeHex(SECP256K1_N - sLow, 32);
      const flipped = ethers.concat([r, sHigh, ethers.toBeHex(v === 27 ? 28 : 27, 1)]);
      // The flipped signature is the mathematically equivalent twin: raw ecrecover yields the same signer.
      const pub = ethers.SigningKey.recoverPublicKey(typedDigest(domain, p), {
        r,
        s: ethers.toBeHex(sLow, 32),
        v,
      });
      expect(ethers.computeAddress(pub)).to.equal(sorted[0].address);
      const malleated = ethers.concat([flipped, ethers.dataSlice(sigs, 65)]);
      await expectRejected(p, malleated, "ECDSAInvalidSignatureS", [sHigh]);
      // The original still works.
      await expect(consume(p, sigs)).to.emit(quorum, "AttestationConsumed");
    });

    it("rejects signatures with an invalid v or r (ECDSAInvalidSignature)", async () => {
      const p = await ping();
      const sigs = await signSorted(domain, p, f.oracles.slice(0, M));
      const first = sigAt(sigs, 0);
      const rest = ethers.dataSlice(sigs, 65);
      for (const badV of [0, 1, 26, 29]) {
        const bad = ethers.concat([ethers.dataSlice(first, 0, 64), ethers.toBeHex(badV, 1), rest]);
        await expectRejected(p, bad, "ECDSAInvalidSignature");
      }
      const zeroR = ethers.concat([ethers.ZeroHash, ethers.dataSlice(first, 32), rest]);
      await expectRejected(p, zeroR, "ECDSAInvalidSignature");
      const allZero = ethers.concat([new Uint8Array(65), rest]);
      await expectRejected(p, allZero, "ECDSAInvalidSignature");
    });

    it("checks epoch, then deadline, then replay, then length, then count", async () => {
      const t = BigInt(await latestTime()) + 100n;
      // Stale epoch beats expiry.
      const stale = await ping({ epoch: 9n, deadline: t - 1000n });
      await expect(consume(stale, "0x01")).to.be.revertedWithCustomError(quorum, "StaleEpoch").withArgs(9n, 1n);
      // Expiry beats malformed signatures.
      const expired = await ping({ deadline: 1n });
      await expect(consume(expired, "0x01")).to.be.revertedWithCustomError(quorum, "AttestationExpired").withArgs(1n);
      // Replay beats malformed signatures.
      const used = await ping();
      await consume(used, await signSorted(domain, used, f.oracles.slice(0, M)));
      await expect(consume(used, "0x01"))
        .to.be.revertedWithCustomError(quorum, "AttestationAlreadyUsed")
        .withArgs(typedDigest(domain, used));
      // Malformed length beats count.
      const fresh = await ping();
      await expect(consume(fresh, "0x01")).to.be.revertedWithCustomError(quorum, "MalformedSignatures").withArgs(1);
    });
  });

  // ------------------------------------------------------------------ rotation

  describe("rotation: removed and re-added signers", () => {
    it("a removed signer that is re-added works again, only for the new epoch", async () => {
      const x = f.oracles[0];
      const others = f.oracles.slice(1);
      // Epoch 1: x is a member.
      const p1 = await ping();
      const p1Sigs = await signSorted(domain, p1, [x, ...others.slice(0, M - 1)]);
      await quorum.verify(structHash(p1), p1.epoch, p1.deadline, p1Sigs);

      // Epoch 2: x removed.
      await quorum.connect(f.admin).setSignerSet(others.map((o) => o.address), M);
      expect(await quorum.isSigner(x.address)).to.equal(false);
      const p2 = await ping();
      expect(p2.epoch).to.equal(2n);
      const p2Sigs = await signSorted(domain, p2, [x, ...others.slice(0, M - 1)]);
      await expectUnknown(p2, p2Sigs, x.address);
      await expect(consume(p1, p1Sigs)).to.be.revertedWithCustomError(quorum, "StaleEpoch").withArgs(1n, 2n);

      // Epoch 3: x re-added.
      await quorum.connect(f.admin).setSignerSet(f.oracles.map((o) => o.address), M);
      expect(await quorum.isSigner(x.address)).to.equal(true);
      // Its epoch-1 and epoch-2 signatures stay dead.
      await expect(consume(p1, p1Sigs)).to.be.revertedWithCustomError(quorum, "StaleEpoch").withArgs(1n, 3n);
      await expect(consume(p2, p2Sigs)).to.be.revertedWithCustomError(quorum, "StaleEpoch").withArgs(2n, 3n);
      // A fresh epoch-3 attestation with x counts.
      const p3 = await ping();
      expect(p3.epoch).to.equal(3n);
      const signers3 = sortByAddress([x, ...others.slice(0, M - 1)]);
      await expect(consume(p3, await signSorted(domain, p3, signers3)))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(typedDigest(domain, p3), f.consumer.address, 3n, signers3.map((w) => w.address));
    });

    async function expectUnknown(p: Ping, sigs: string, who: string) {
      await expect(consume(p, sigs)).to.be.revertedWithCustomError(quorum, "UnknownSigner").withArgs(who);
    }

    it("an entirely new set replaces the old one: old keys cannot sign for the new epoch", async () => {
      await quorum.connect(f.admin).setSignerSet(f.strangers.map((o) => o.address), 2);
      const p = await ping();
      const oldSigner = sortByAddress(f.oracles.slice(0, 2))[0];
      await expect(consume(p, await signSorted(domain, p, f.oracles.slice(0, 2))))
        .to.be.revertedWithCustomError(quorum, "UnknownSigner")
        .withArgs(oldSigner.address);
      await expect(consume(p, await signSorted(domain, p, f.strangers.slice(0, 2))))
        .to.emit(quorum, "AttestationConsumed")
        .withArgs(typedDigest(domain, p), f.consumer.address, 2n, sortByAddress(f.strangers.slice(0, 2)).map((w) => w.address));
    });
  });
});
