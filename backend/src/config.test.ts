import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "./config";

const KEY = "ab".repeat(32);

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("defaults to the embedded set-up", () => {
    expect(loadConfig({})).toMatchObject({
      databaseUrl: undefined,
      databasePoolMax: 10,
      dataDir: ".data",
      pgliteInMemory: false,
      rpcUrl: undefined,
      chainId: 31337,
      deploymentFile: ".data/deployments/31337.json",
      apiPort: 8080,
      registrySimUrl: undefined,
      platformApiUrl: undefined,
      webhookSecret: undefined,
      oracleKey: undefined,
      deployerKey: undefined,
      deployRolesFile: undefined,
      complianceKey: undefined,
      screeningThreshold: 0.7,
      logLevel: "info",
      testDatabaseUrl: undefined,
      apiHost: "127.0.0.1",
      siweDomains: ["localhost:8080", "127.0.0.1:8080"],
      sessionTtlSeconds: 43_200,
      adminAddresses: [],
      corsOrigins: [],
    });
  });

  it("reads the API's sign-in settings as comma-separated lists", () => {
    const config = loadConfig({
      API_PORT: "9000",
      SIWE_DOMAINS: "app.carbonclear.example, localhost:5173",
      ADMIN_ADDRESSES: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8,",
      CORS_ORIGINS: "http://localhost:5173/",
      SESSION_TTL_SECONDS: "3600",
    });
    expect(config.siweDomains).toEqual(["app.carbonclear.example", "localhost:5173"]);
    expect(config.adminAddresses).toEqual(["0x70997970c51812dc3a010c7d01b50e0d17dc79c8"]);
    expect(config.corsOrigins).toEqual(["http://localhost:5173"]);
    expect(config.sessionTtlSeconds).toBe(3600);
    expect(loadConfig({ API_PORT: "9000" }).siweDomains).toEqual(["localhost:9000", "127.0.0.1:9000"]);
  });

  it("names a bad admin address and a bad sign-in domain", () => {
    const error = configError({ ADMIN_ADDRESSES: "0x1234", SIWE_DOMAINS: "https://app.example" });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(["ADMIN_ADDRESSES", "SIWE_DOMAINS"]);
  });

  it("reads every variable, treating empty values as unset", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://cc:secret@db.internal:5432/carbonclear",
      DATABASE_POOL_MAX: "20",
      CARBONCLEAR_DATA_DIR: "/var/lib/carbonclear",
      CARBONCLEAR_PGLITE_IN_MEMORY: "yes",
      RPC_URL: "https://rpc.example.org/",
      CHAIN_ID: "8453",
      API_PORT: "",
      REGISTRY_SIM_URL: "http://127.0.0.1:4000/",
      PLATFORM_API_URL: "http://127.0.0.1:8080/",
      WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      ORACLE_KEY: KEY.toUpperCase(),
      DEPLOYER_KEY: `0x${KEY}`,
      DEPLOY_ROLES_FILE: " deploy/roles.json ",
      LOG_LEVEL: "DEBUG",
      TEST_DATABASE_URL: "postgres://carbonclear:carbonclear@127.0.0.1:5432/carbonclear_test",
    });
    expect(config).toMatchObject({
      databaseUrl: "postgresql://cc:secret@db.internal:5432/carbonclear",
      databasePoolMax: 20,
      dataDir: "/var/lib/carbonclear",
      pgliteInMemory: true,
      rpcUrl: "https://rpc.example.org",
      chainId: 8453,
      deploymentFile: "/var/lib/carbonclear/deployments/8453.json",
      apiPort: 8080,
      registrySimUrl: "http://127.0.0.1:4000",
      platformApiUrl: "http://127.0.0.1:8080",
      deployRolesFile: "deploy/roles.json",
      logLevel: "debug",
      testDatabaseUrl: "postgres://carbonclear:carbonclear@127.0.0.1:5432/carbonclear_test",
    });
    expect(config.oracleKey?.reveal()).toBe(`0x${KEY}`);
    expect(config.deployerKey?.reveal()).toBe(`0x${KEY}`);
    expect(config.webhookSecret?.reveal()).toBe("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  });

  it("names every bad variable", () => {
    const error = configError({
      DATABASE_URL: "mysql://db/carbonclear",
      API_PORT: "70000",
      CHAIN_ID: "mainnet",
      ORACLE_KEY: "0x1234",
      WEBHOOK_SECRET: "plain-secret",
      LOG_LEVEL: "loud",
      CARBONCLEAR_PGLITE_IN_MEMORY: "maybe",
      RPC_URL: "ws://node:8546",
      DEPLOYER_KEY: "not-a-key",
    });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(
      ["API_PORT", "CARBONCLEAR_PGLITE_IN_MEMORY", "CHAIN_ID", "DATABASE_URL", "DEPLOYER_KEY", "LOG_LEVEL", "ORACLE_KEY", "RPC_URL", "WEBHOOK_SECRET"].sort(),
    );
    expect(error.message).toContain("API_PORT: must be at most 65535");
    expect(error.message).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
    expect(error.message).not.toContain("0x1234");
  });

  it("reads the compliance key as a secret and the screening threshold as a number in [0, 1]", () => {
    const config = loadConfig({ COMPLIANCE_KEY: KEY, SCREENING_THRESHOLD: "0.82" });
    expect(config.complianceKey?.reveal()).toBe(`0x${KEY}`);
    expect(config.screeningThreshold).toBe(0.82);
    for (const printed of [JSON.stringify(config), inspect(config), JSON.stringify(describeConfig(config))]) expect(printed).not.toContain(KEY);
    const error = configError({ COMPLIANCE_KEY: "0xabc", SCREENING_THRESHOLD: "1.5" });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(["COMPLIANCE_KEY", "SCREENING_THRESHOLD"]);
    expect(error.message).toContain("SCREENING_THRESHOLD: must be a number from 0 to 1");
  });

  it("refuses a zero oracle key", () => {
    expect(configError({ ORACLE_KEY: "0".repeat(64) }).message).toContain("ORACLE_KEY: must not be zero");
  });

  it("never prints secrets, and masks URL passwords when described", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://cc:hunter2@db:5432/cc",
      ORACLE_KEY: KEY,
      DEPLOYER_KEY: KEY,
      WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    });
    for (const printed of [JSON.stringify(config), inspect(config), String(config.oracleKey), String(config.deployerKey), JSON.stringify(describeConfig(config))]) {
      expect(printed).not.toContain(KEY);
      expect(printed).not.toContain("MfKQ9r8GKYqr");
    }
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain("postgres://cc:***@db:5432/cc");
    expect(described).not.toContain("hunter2");
  });
});
