/**
 * Route definitions: every route states its method, path, who may call it and the shapes of its
 * input. The app validates input and access before the handler runs, so a handler only ever sees
 * parsed values from a caller it accepts.
 */
import type { Logger } from "pino";
import type { z } from "zod";

export const ROLES = ["trader", "oracle_operator", "verifier", "compliance", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * `public`: anyone; `signed_in`: any wallet with a SIWE session; a list of roles: a session holding
 * at least one of them.
 */
export type Access = "public" | "signed_in" | readonly Role[];

export interface Session {
  readonly address: `0x${string}`;
  readonly roles: readonly Role[];
  /** Id of the session row (to sign out). */
  readonly id: string;
  readonly expiresAt: Date;
}

export interface RequestContext {
  readonly session?: Session;
  readonly log: Logger;
  /** The exact bytes of the request body (JSON, text and octet-stream bodies). */
  readonly rawBody?: Buffer;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly ip?: string;
}

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly ctx: RequestContext;
}

export interface RouteDefinition<P = unknown, Q = unknown, B = unknown> {
  readonly method: HttpMethod;
  /** Express 5 path, e.g. `/v1/orders/:orderHash`. */
  readonly path: string;
  readonly access: Access;
  /** One line for the route table. */
  readonly summary: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Largest accepted body in bytes (default 100 kB). */
  readonly bodyLimit?: number;
  readonly handler: (input: RouteInput<P, Q, B>) => Promise<unknown>;
}

export function defineRoute<P = unknown, Q = unknown, B = unknown>(definition: RouteDefinition<P, Q, B>): RouteDefinition {
  return definition as unknown as RouteDefinition;
}

/** A handler's answer other than 200 JSON: another status, a file, extra headers. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly options: { readonly contentType?: string; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {}
}

export function reply(status: number, body: unknown, options?: { contentType?: string; headers?: Record<string, string> }): Reply {
  return new Reply(status, body, options);
}

/** A capability's routes, mounted together. */
export interface ApiModule {
  readonly name: string;
  readonly routes: readonly RouteDefinition[];
}

/** Does `session` satisfy `access`? */
export function allows(access: Access, session: Session | undefined): boolean {
  if (access === "public") return true;
  if (session === undefined) return false;
  if (access === "signed_in") return true;
  return access.some((role) => session.roles.includes(role));
}
