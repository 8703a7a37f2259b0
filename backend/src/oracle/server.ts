/**
 * One oracle node as an HTTP service (its own key, its own process or port):
 *
 *   POST /v1/attestations  {registry, operationId, deadline}
 *        → 200 {kind, signer, signature, message}   (bigints as decimal strings)
 *        → 400 bad input · 409 refusal {error: {code, message}} · 503 registry unavailable
 *   POST /v1/attestations/batch  {requests: [{registry, operationId, deadline}, …]} (≤ 500)
 *        → 200 {results: [{ok: true, attestation} | {ok: false, error: {code, message}}]} in order
 *          (code REGISTRY_UNAVAILABLE = retry later) · 400 bad input
 *   GET  /health → 200 {status: "ok", signer}
 *   GET  /metrics → Prometheus text of `metrics` (when given)
 */
import express from "express";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { z } from "zod";
import { AttestationRefusedError, RegistryUnavailableError } from "./errors";
import type { OracleNode } from "./node";
import { attestationBatchRequestSchema, attestationRequestSchema, ORACLE_API_PATHS, signedAttestationToJson, type AttestationBatchResponseJson } from "./wire";
import { startHttpServer, type RunningServer } from "../api/server";

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** The 400 body naming every field at fault. */
const invalidRequestBody = (error: z.ZodError) =>
  errorBody("INVALID_REQUEST", error.issues.map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`).join("; "));

export function createOracleNodeApp(node: OracleNode, options: { metrics?: Registry; logger?: Logger } = {}): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(ORACLE_API_PATHS.attestBatch, express.json({ limit: "256kb" }));
  app.use(express.json({ limit: "16kb" }));

  app.get(ORACLE_API_PATHS.health, (_req, res) => {
    res.json({ status: "ok", signer: node.signer });
  });

  const metrics = options.metrics;
  if (metrics !== undefined) {
    app.get(ORACLE_API_PATHS.metrics, async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.metrics());
    });
  }

  app.post(ORACLE_API_PATHS.attestBatch, async (req, res) => {
    const parsed = attestationBatchRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(invalidRequestBody(parsed.error));
      return;
    }
    try {
      const outcomes = await node.attestMany(parsed.data.requests);
      const body: AttestationBatchResponseJson = {
        results: outcomes.map((o) => (o.ok ? { ok: true as const, attestation: signedAttestationToJson(o.attestation) } : { ok: false as const, error: { code: o.code, message: o.message } })),
      };
      res.json(body);
    } catch (error) {
      options.logger?.error({ err: error, requests: parsed.data.requests.length }, "oracle node: batch attestation failed");
      res.status(500).json(errorBody("INTERNAL", "the node failed; see its log"));
    }
  });

  app.post(ORACLE_API_PATHS.attest, async (req, res) => {
    const parsed = attestationRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(invalidRequestBody(parsed.error));
      return;
    }
    try {
      const signed = await node.attest(parsed.data);
      res.json(signedAttestationToJson(signed));
    } catch (error) {
      if (error instanceof AttestationRefusedError) res.status(409).json(errorBody(error.code, error.message));
      else if (error instanceof RegistryUnavailableError) res.status(503).json(errorBody("REGISTRY_UNAVAILABLE", error.message));
      else {
        options.logger?.error({ err: error, operationId: parsed.data.operationId }, "oracle node: attestation failed");
        res.status(500).json(errorBody("INTERNAL", "the node failed; see its log"));
      }
    }
  });

  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json(errorBody("NOT_FOUND", "no such route"));
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = typeof error === "object" && error !== null && "status" in error && typeof error.status === "number" ? error.status : 500;
    if (status >= 400 && status < 500) res.status(400).json(errorBody("INVALID_REQUEST", (error as Error).message));
    else res.status(500).json(errorBody("INTERNAL", "the node failed; see its log"));
  });
  return app;
}

export type RunningOracleNodeServer = RunningServer;

/** Serves `node` on `host:port` (port 0 = any free port). */
export async function startOracleNodeServer(
  node: OracleNode,
  options: { host?: string; port?: number; metrics?: Registry; logger?: Logger } = {},
): Promise<RunningOracleNodeServer> {
  return startHttpServer(createOracleNodeApp(node, { metrics: options.metrics, logger: options.logger }), { host: options.host, port: options.port });
}
