/**
 * `carbonclear`: one command-line tool for operators, verifiers and compliance officers. Each
 * capability registers its subcommands (./commands.ts); this module parses arguments, builds the
 * {@link CliContext}, runs the action, closes what it opened and maps failures to exit codes.
 */
import { Command, CommanderError } from "commander";
import { ConfigError, describeConfig, loadConfig, type Config } from "../config";
import { publicClientFor } from "../chain/clients";
import { readDeployment } from "../chain/deployment";
import { DataDirLockedError, openDatabase, runMigrations, type Database } from "../db";
import { CliError, EXIT, type CliChain, type CliContext, type ExitCode } from "./command";
import { PLATFORM_COMMANDS } from "./commands";
import { createOutput, createProgress, type Streams } from "./output";

export interface RunCliOptions extends Partial<Streams> {
  readonly env?: NodeJS.ProcessEnv;
}

/** The RPC endpoint `npm start` serves when RPC_URL is not set. */
export const EMBEDDED_RPC_URL = "http://127.0.0.1:8545";

function isUnavailable(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : "";
  return /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|fetch failed|HTTP request failed/i.test(text);
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const streams: Streams = { stdout: options.stdout ?? process.stdout, stderr: options.stderr ?? process.stderr };
  const closers: (() => Promise<void>)[] = [];
  let exitCode: number = EXIT.OK;
  let context: CliContext | undefined;

  const program = new Command("carbonclear")
    .description("CarbonClear: carbon-credit custody, settlement and audit — operator, verifier and compliance tool")
    .option("--json", "print machine-readable JSON instead of tables")
    .exitOverride()
    .configureOutput({ writeOut: (s) => streams.stdout.write(s), writeErr: (s) => streams.stderr.write(s) })
    .showHelpAfterError("(add --help for usage)");

  const contextFor = (): CliContext => {
    if (context !== undefined) return context;
    let config: Config;
    try {
      config = loadConfig(options.env ?? process.env);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new CliError(`configuration: ${error.issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`, EXIT.USAGE);
      }
      throw error;
    }
    const json = program.opts<{ json?: boolean }>().json === true;
    let database: Promise<Database> | undefined;
    let chain: Promise<CliChain> | undefined;
    context = {
      config,
      json,
      out: createOutput(streams, json),
      progress: (label, total) => createProgress(streams, json, label, total),
      setExitCode: (code: ExitCode) => {
        exitCode = code;
      },
      openDatabase: () =>
        (database ??= (async () => {
          let db: Database;
          try {
            db = await openDatabase(config);
          } catch (error) {
            if (error instanceof DataDirLockedError) {
              throw new CliError(`${error.message}\nThe running platform holds the embedded database: set DATABASE_URL to the URL \`npm start\` printed.`, EXIT.UNAVAILABLE);
            }
            if (isUnavailable(error)) throw new CliError(`database unreachable: ${(error as Error).message}`, EXIT.UNAVAILABLE);
            throw error;
          }
          closers.push(() => db.close());
          await runMigrations(db.pool);
          return db;
        })()),
      chain: () =>
        (chain ??= (async () => {
          const rpcUrl = config.rpcUrl ?? EMBEDDED_RPC_URL;
          let deployment;
          try {
            deployment = readDeployment(config.deploymentFile);
          } catch (error) {
            throw new CliError(`no deployment: ${(error as Error).message} (run npm start or npm run deploy, or set CARBONCLEAR_DEPLOYMENT_FILE)`, EXIT.UNAVAILABLE);
          }
          const publicClient = publicClientFor(rpcUrl, deployment.chainId);
          try {
            await publicClient.getBlockNumber();
          } catch (error) {
            throw new CliError(`chain unreachable at ${rpcUrl}: ${(error as Error).message.split("\n")[0]}`, EXIT.UNAVAILABLE);
          }
          return { publicClient: publicClient as CliChain["publicClient"], deployment };
        })()),
    };
    return context;
  };

  program
    .command("config")
    .description("show the configuration this tool and the services read from the environment (secrets redacted)")
    .action(() => {
      const ctx = contextFor();
      const described = describeConfig(ctx.config);
      ctx.out.result(() => ctx.out.table(Object.entries(described).map(([setting, value]) => ({ setting, value }))), described);
    });

  for (const register of PLATFORM_COMMANDS) register(program, contextFor);

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    exitCode = exitCodeFor(error, streams);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
  return exitCode;
}

function exitCodeFor(error: unknown, streams: Streams): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.help" || error.code === "commander.version" || error.exitCode === 0) return EXIT.OK;
    return EXIT.USAGE;
  }
  if (error instanceof CliError) {
    streams.stderr.write(`carbonclear: ${error.message}\n`);
    return error.exitCode;
  }
  if (isUnavailable(error)) {
    streams.stderr.write(`carbonclear: unavailable: ${(error as Error).message.split("\n")[0]}\n`);
    return EXIT.UNAVAILABLE;
  }
  streams.stderr.write(`carbonclear: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.FAILURE;
}
