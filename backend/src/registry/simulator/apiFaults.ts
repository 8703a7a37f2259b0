/**
 * Fault injection for the simulator's own API (never for `/v1/admin/*`): answer 5xx, hang until
 * the client gives up, or rate-limit with 429 and Retry-After — for every request or a seeded
 * fraction of them, for a duration or until cleared, optionally only under a path prefix.
 */
import type { NextFunction, Request, Response } from "express";
import { z } from "zod";
import type { SeededRandom } from "./rng";

export const API_FAULT_MODES = ["error", "timeout", "rate-limit"] as const;

export const apiFaultRuleSchema = z.strictObject({
  mode: z.enum(API_FAULT_MODES),
  /** Share of matching requests that fail, drawn from the seeded stream. */
  fraction: z.number().min(0).max(1).default(1),
  /** How long the rule lasts from when it is set; until cleared when absent. */
  durationMs: z.number().int().positive().optional(),
  /** Only requests whose path starts with this (e.g. "/v1/locks"). */
  pathPrefix: z.string().startsWith("/").optional(),
  /** Status of `error` faults. */
  status: z.number().int().min(500).max(599).default(503),
  /** Retry-After of `rate-limit` faults, in seconds. */
  retryAfterSeconds: z.number().int().min(0).max(86_400).default(1),
});
export type ApiFaultRuleInput = z.input<typeof apiFaultRuleSchema>;
export type ApiFaultRule = z.output<typeof apiFaultRuleSchema>;

export interface ApiFaultStats {
  readonly error: number;
  readonly timeout: number;
  readonly "rate-limit": number;
  readonly passed: number;
}

interface ActiveRule extends ApiFaultRule {
  readonly expiresAt: number | null;
}

export class ApiFaultInjector {
  readonly #random: SeededRandom;
  readonly #clock: () => number;
  #rules: ActiveRule[] = [];
  readonly #hanging = new Set<Response>();
  #stats = { error: 0, timeout: 0, "rate-limit": 0, passed: 0 };

  constructor(random: SeededRandom, clock: () => number = Date.now) {
    this.#random = random;
    this.#clock = clock;
  }

  /** Replaces the active rules (each validated; the first matching rule that fires applies). */
  setRules(rules: readonly ApiFaultRuleInput[]): ApiFaultRule[] {
    const parsed = rules.map((rule) => apiFaultRuleSchema.parse(rule));
    const now = this.#clock();
    this.#rules = parsed.map((rule) => ({ ...rule, expiresAt: rule.durationMs === undefined ? null : now + rule.durationMs }));
    return parsed;
  }

  clear(): void {
    this.#rules = [];
  }

  activeRules(): ApiFaultRule[] {
    const now = this.#clock();
    this.#rules = this.#rules.filter((rule) => rule.expiresAt === null || rule.expiresAt > now);
    return this.#rules.map(({ expiresAt: _expiresAt, ...rule }) => rule);
  }

  stats(): ApiFaultStats {
    return { ...this.#stats };
  }

  /** Express middleware: fails the request when a rule fires, else passes it on. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const rule = this.activeRules().find(
      (candidate) => (candidate.pathPrefix === undefined || req.path.startsWith(candidate.pathPrefix)) && this.#random.chance(candidate.fraction),
    );
    if (rule === undefined) {
      this.#stats.passed++;
      next();
      return;
    }
    this.#stats[rule.mode]++;
    switch (rule.mode) {
      case "error":
        res.status(rule.status).json({ error: { code: "REGISTRY_UNAVAILABLE", message: `the registry answered ${rule.status} (injected fault)` } });
        return;
      case "rate-limit":
        res
          .status(429)
          .set("Retry-After", String(rule.retryAfterSeconds))
          .json({ error: { code: "RATE_LIMITED", message: `too many requests; retry after ${rule.retryAfterSeconds} s (injected fault)` } });
        return;
      case "timeout":
        this.#hanging.add(res);
        res.on("close", () => this.#hanging.delete(res));
        return;
    }
  };

  /** Drops the connections of requests left hanging (on shutdown). */
  releaseHanging(): void {
    for (const res of this.#hanging) res.socket?.destroy();
    this.#hanging.clear();
  }
}
