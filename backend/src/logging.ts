/** The service logger: pino, JSON lines on stdout, level from the config. */
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config";

export function createLogger(options: { level: LogLevel; name?: string }): Logger {
  return pino({ level: options.level, name: options.name ?? "carbonclear", redact: ["*.password", "*.privateKey", "*.token"] });
}
