import { expect } from "chai";
import { ethers } from "hardhat";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeployment, writeDeployment } from "../backend/src/chain/deployment";
import { deployLedger, describeDeployment } from "../scripts/deploy/ledger";
import {
  DeployPlanError,
  developmentRoles,
  handOverAdmin,
  ledgerOptionsFor,
  parseDeployRoles,
  readDeployRoles,
  type DeployRoles,
} from "../scripts/platform/deployPlan";

const A = (n: number): string => ethers.getAddress("0x" + n.toString(16).padStart(40, "0"));

function validRoles(): DeployRoles {
  return { admin: A(1), compliance: A(2), pauser: A(3), oracleSigners: [A(4), A(5), A(6)], threshold: 2, treasury: A(7), feeBps: 50 };
}

describe("scripts/deploy: roles file and admin hand-over", function () {
  describe("parseDeployRoles", function () {
    it("accepts a complete roles file", function () {
      expect(parseDeployRoles(validRoles(), "roles.json")).to.deep.equal(validRoles());
    });

    const bad: Array<[string, Record<string, unknown>, string]> = [
      ["a threshold above the signer count", { threshold: 4 }, "threshold: must not exceed the number of oracle signers (3)"],
      ["a zero threshold", { threshold: 0 }, "threshold: must be at least 1"],
      ["a duplicate signer", { oracleSigners: [A(4), A(4)] }, "oracleSigners.1: duplicate signer"],
      ["no signers", { oracleSigners: [] }, "oracleSigners: needs at least one oracle signer"],
      ["a malformed address", { compliance: "0x1234" }, "compliance: must be a 0x-prefixed 20-byte address"],
      ["the zero address", { admin: ethers.ZeroAddress }, "admin: must not be the zero address"],
      ["a fee above 1%", { feeBps: 101 }, "feeBps: must be at most 100 (1%)"],
      ["an unknown field", { treasurer: A(9) }, "treasurer"],
    ];
    for (const [what, change, message] of bad) {
      it(`refuses ${what}, naming the field`, function () {
        expect(() => parseDeployRoles({ ...validRoles(), ...change }, "roles.json"))
          .to.throw(DeployPlanError, message)
          .with.property("message")
          .that.contains("invalid roles file roles.json");
      });
    }

    it("names the file it cannot read or parse", function () {
      const dir = mkdtempSync(join(tmpdir(), "cc-roles-"));
      try {
        expect(() => readDeployRoles(join(dir, "missing.json"))).to.throw(DeployPlanError, "cannot read roles file");
        writeFileSync(join(dir, "broken.json"), "{ not json");
        expect(() => readDeployRoles(join(dir, "broken.json"))).to.throw(DeployPlanError, "broken.json");
        writeFileSync(join(dir, "ok.json"), JSON.stringify(validRoles()));
        expect(readDeployRoles(join(dir, "ok.json"))).to.deep.equal(validRoles());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("deploys with the file's roles, hands admin over and writes a deployment file the backend reads", async function () {
    const [deployer, admin, compliance, pauser, treasury, o1, o2, o3] = await ethers.getSigners();
    const roles: DeployRoles = {
      admin: admin.address,
      compliance: compliance.address,
      pauser: pauser.address,
      oracleSigners: [o1.address, o2.address, o3.address],
      threshold: 2,
      treasury: treasury.address,
      feeBps: 25,
      mrvVerifiers: [o3.address],
    };
    const options = ledgerOptionsFor(roles, deployer.address);
    const ledger = await deployLedger(deployer, options);
    await handOverAdmin(ledger, deployer, roles.admin);

    const adminRole = await ledger.credit.DEFAULT_ADMIN_ROLE();
    for (const contract of [ledger.identity, ledger.quorum, ledger.credit, ledger.mrv, ledger.escrow!, ledger.stablecoin!]) {
      expect(await contract.hasRole(adminRole, admin.address)).to.equal(true);
      expect(await contract.hasRole(adminRole, deployer.address)).to.equal(false);
    }
    expect(await ledger.identity.hasRole(await ledger.identity.COMPLIANCE_ROLE(), compliance.address)).to.equal(true);
    expect(await ledger.identity.hasRole(await ledger.identity.COMPLIANCE_ROLE(), deployer.address)).to.equal(false);
    expect(await ledger.credit.hasRole(await ledger.credit.PAUSER_ROLE(), pauser.address)).to.equal(true);
    expect(await ledger.escrow!.hasRole(await ledger.escrow!.PAUSER_ROLE(), pauser.address)).to.equal(true);
    expect(await ledger.quorum.threshold()).to.equal(2n);
    expect([...(await ledger.quorum.signers())].sort()).to.deep.equal([o1.address, o2.address, o3.address].sort());
    expect(await ledger.escrow!.treasury()).to.equal(treasury.address);
    expect(await ledger.escrow!.feeBps()).to.equal(25n);
    expect(await ledger.mrv.hasRole(await ledger.mrv.VERIFIER_ROLE(), o3.address)).to.equal(true);
    // the deployer can no longer administer anything
    await expect(ledger.credit.connect(deployer).grantRole(adminRole, deployer.address)).to.be.revertedWithCustomError(
      ledger.credit,
      "AccessControlUnauthorizedAccount",
    );

    const dir = mkdtempSync(join(tmpdir(), "cc-deploy-"));
    try {
      const described = await describeDeployment(ledger, options, deployer);
      const file = join(dir, "deployments", "31337.json");
      writeDeployment(file, { ...described, roles: { ...described.roles, admin: roles.admin } });
      const read = readDeployment(file);
      expect(read.roles.admin).to.equal(admin.address);
      expect(read.contracts.escrow).to.equal(await ledger.escrow!.getAddress());
      expect(read.roles.threshold).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("development roles keep everything with the deployer, and the hand-over is then a no-op", async function () {
    const [deployer] = await ethers.getSigners();
    const roles = developmentRoles(deployer.address);
    expect(parseDeployRoles(roles, "dev")).to.deep.equal(roles);
    const ledger = await deployLedger(deployer, ledgerOptionsFor(roles, deployer.address));
    await handOverAdmin(ledger, deployer, deployer.address);
    expect(await ledger.credit.hasRole(await ledger.credit.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(true);
    expect(await ledger.quorum.threshold()).to.equal(1n);
  });
});
