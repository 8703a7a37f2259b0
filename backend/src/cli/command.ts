/**
 * What every `carbonclear` subcommand gets: the config, output that is a human table by default and
 * JSON with `--json`, a progress bar on stderr, and lazily opened database / chain access. Exit codes
 * mean the same thing in every subcommand ({@link EXIT}).
 */
import type { Command } from "commander";
import type { PublicClient } from "viem";
import type { Config } from "../config";
import type { Database } from "../db/openDatabase";
import type { Deployment } from "../chain/deployment";

export const EXIT = {
  /** Done; every check passed. */
  OK: 0,
  /** Something failed that is not one of the cases below (see the message). */
  FAILURE: 1,
  /** Bad arguments or input (nothing was changed). */
  USAGE: 2,
  /** The batch, serial, certificate, ... asked for does not exist. */
  NOT_FOUND: 3,
  /** A dependency (database, chain, registry) could not be reached. */
  UNAVAILABLE: 4,
  /** The command ran, and what it checked did not pass (reconcile differences, audit failures, screening hits). */
  CHECK_FAILED: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: its message is printed (no stack trace) and the process exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.FAILURE) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export interface CliOutput {
  /** Rows as an aligned text table (columns: the given ones, or every key of the first row). */
  table(rows: readonly Record<string, unknown>[], columns?: readonly string[]): void;
  json(value: unknown): void;
  line(text: string): void;
  /** To stderr. */
  error(text: string): void;
  /** JSON (`--json`) or the human form. */
  result(human: () => void, json: unknown): void;
}

export interface Progress {
  increment(n?: number): void;
  update(n: number): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface CliChain {
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
}

export interface CliContext {
  readonly config: Config;
  readonly json: boolean;
  readonly out: CliOutput;
  /** A progress bar on stderr; silent with `--json` or when stderr is not a terminal. */
  progress(label: string, total?: number): Progress;
  /** The platform database (PGlite data dir or DATABASE_URL), migrated; closed when the command ends. */
  openDatabase(): Promise<Database>;
  /** The chain from RPC_URL and the deployment file. */
  chain(): Promise<CliChain>;
  /** Sets the process's exit code without stopping the command (e.g. CHECK_FAILED after printing a report). */
  setExitCode(code: ExitCode): void;
}

/** A capability's subcommands: attach them to `program`; call `context()` inside actions. */
export type RegisterCommands = (program: Command, context: () => CliContext) => void;
