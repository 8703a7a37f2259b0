/**
 * The HTTP API: one express app that mounts every capability's {@link ApiModule}. For each route it
 * parses the body (JSON, or raw bytes for other content types, keeping the exact bytes for
 * signature checks), resolves the bearer session, enforces the route's declared access, validates
 * params / query / body with zod, runs the handler and renders its result — or an error in the one
 * uniform shape `{ error: { code, message, details? } }`.
 */
import express from "express";
import type pg from "pg";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { ApiError, parseOrThrow, unauthorized } from "./errors";
import { sessionForToken } from "./auth/store";
import { Reply, allows, type ApiModule, type RequestContext, type RouteDefinition, type Session } from "./route";

export interface ApiAppOptions {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly modules: readonly ApiModule[];
  /** Origins allowed to call the API from a browser (CORS); the dApp's origin. */
  readonly corsOrigins?: readonly string[];
  /** Static files (the built dApp) served for every GET that no route matched. */
  readonly staticDir?: string;
}

const DEFAULT_BODY_LIMIT = 100 * 1024;

type RawBodyRequest = express.Request & { rawBody?: Buffer };

/** Every route of `modules`, refusing two modules that claim the same method + path. */
export function routeTable(modules: readonly ApiModule[]): { module: string; route: RouteDefinition }[] {
  const seen = new Map<string, string>();
  const table: { module: string; route: RouteDefinition }[] = [];
  for (const module of modules) {
    for (const route of module.routes) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      const owner = seen.get(key);
      if (owner !== undefined) throw new Error(`${key} is defined by both ${owner} and ${module.name}`);
      seen.set(key, module.name);
      table.push({ module: module.name, route });
    }
  }
  return table;
}

function bearerToken(req: express.Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
  if (match === null) throw new ApiError(401, "INVALID_AUTHORIZATION", "Authorization header must be `Bearer <token>`");
  return match[1];
}

export function createApiApp(options: ApiAppOptions): express.Express {
  const table = routeTable(options.modules);
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(
    pinoHttp({
      logger: options.logger,
      customLogLevel: (_req, res, error) => (error !== undefined || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
      redact: ["req.headers.authorization", "req.headers.cookie"],
    }),
  );
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    app.use((req, res, next) => {
      const origin = req.headers.origin;
      if (origin !== undefined && allowed.has(origin)) {
        res.setHeader("Access-Control-Allow-Origin", origin);
        res.setHeader("Vary", "Origin");
        res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
        if (req.method === "OPTIONS") {
          res.status(204).end();
          return;
        }
      }
      next();
    });
  }

  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/v1/routes", (_req, res) => {
    res.json(table.map(({ module, route }) => ({ module, method: route.method.toUpperCase(), path: route.path, access: route.access, summary: route.summary })));
  });

  for (const { route } of table) {
    const limit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const keepRaw = (req: express.Request, _res: express.Response, buffer: Buffer) => {
      (req as RawBodyRequest).rawBody = buffer;
    };
    app[route.method](
      route.path,
      express.json({ limit, verify: keepRaw, strict: false }),
      express.raw({ limit, type: (req) => req.headers["content-type"] !== undefined && !/json/i.test(String(req.headers["content-type"])) }),
      (req, res, next) => {
        handle(route, req as RawBodyRequest, res).catch(next);
      },
    );
  }

  async function handle(route: RouteDefinition, req: RawBodyRequest, res: express.Response): Promise<void> {
    const token = bearerToken(req);
    let session: Session | undefined;
    if (token !== undefined) {
      session = await sessionForToken(options.pool, token);
      if (session === undefined) throw new ApiError(401, "SESSION_INVALID", "the session is unknown, expired or signed out; sign in again");
    }
    if (!allows(route.access, session)) {
      if (session === undefined) throw unauthorized();
      throw new ApiError(403, "ROLE_REQUIRED", `${route.method.toUpperCase()} ${route.path} is for ${(route.access as readonly string[]).join(" or ")}; this wallet has ${session.roles.length === 0 ? "no role" : session.roles.join(", ")}`);
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : req.rawBody;
    const ctx: RequestContext = { session, log: req.log, rawBody, headers: req.headers, ip: req.ip };
    const params = route.params ? parseOrThrow(route.params, req.params, "params") : req.params;
    const query = route.query ? parseOrThrow(route.query, req.query, "query") : req.query;
    const body = route.body ? parseOrThrow(route.body, req.body, "body") : req.body;
    const result = await route.handler({ params, query, body, ctx });
    send(res, result);
  }

  if (options.staticDir !== undefined) {
    const dir = options.staticDir;
    app.use(express.static(dir, { index: "index.html" }));
    // client-side routes of the single-page app
    app.get(/^\/(?!v1\/|health$|metrics$).*/, (_req, res) => {
      res.sendFile("index.html", { root: dir });
    });
  }

  app.use((req: express.Request, res: express.Response) => {
    res.status(404).json(new ApiError(404, "NOT_FOUND", `no route ${req.method} ${req.path}`).toBody());
  });
  app.use((error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (error instanceof ApiError) {
      res.status(error.status).json(error.toBody());
      return;
    }
    const type = typeof error === "object" && error !== null && "type" in error ? (error as { type: unknown }).type : undefined;
    if (type === "entity.parse.failed") {
      res.status(400).json(new ApiError(400, "INVALID_JSON", `body is not valid JSON: ${(error as Error).message}`).toBody());
      return;
    }
    if (type === "entity.too.large") {
      res.status(413).json(new ApiError(413, "BODY_TOO_LARGE", (error as Error).message).toBody());
      return;
    }
    if (type === "encoding.unsupported" || type === "charset.unsupported") {
      res.status(415).json(new ApiError(415, "UNSUPPORTED_ENCODING", (error as Error).message).toBody());
      return;
    }
    req.log.error({ err: error }, "unhandled error");
    res.status(500).json(new ApiError(500, "INTERNAL", "the server failed; see its log").toBody());
  });
  return app;
}

function send(res: express.Response, result: unknown): void {
  if (result instanceof Reply) {
    for (const [name, value] of Object.entries(result.options.headers ?? {})) res.setHeader(name, value);
    res.status(result.status);
    if (result.body === undefined) {
      res.end();
    } else if (result.options.contentType !== undefined) {
      res.type(result.options.contentType).send(result.body);
    } else {
      res.json(result.body);
    }
    return;
  }
  res.json(result ?? null);
}
