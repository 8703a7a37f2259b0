/**
 * The simulator's HTTP application (express 5, JSON):
 * - `/v1/*` — the registry-native API: accounts, projects, issuance, holdings, serial lookup,
 *   operations (202 + request id, `Idempotency-Key`), the change feed, webhook endpoints, exports;
 * - `/registries/{registry}/v1/*` — the adapter API of `../api.ts` (see `adapterRoutes.ts`);
 * - `/credits` — Gold Standard-style paged credit records;
 * - `/v1/admin/*` — the control surface (see `adminRoutes.ts`).
 * Bodies and queries are validated with zod; a 400 names each offending field.
 */
import express, { type Request, type Response } from "express";
import { z } from "zod";
import { REGISTRY_IDS, registryIdSchema, type RegistryId } from "../../domain";
import { adapterApiRouter } from "./adapterRoutes";
import { adminRouter } from "./adminRoutes";
import {
  toAccountDocument,
  toHoldingsDocument,
  toIssuanceDocument,
  toProjectDocument,
  toRequestDocument,
  toSerialStatusDocument,
} from "./documents";
import { notFound } from "./errors";
import { cctsCertificatesCsv, goldStandardCreditsCsv, goldStandardCreditsPage, goldStandardRetirementsCsv, verraIssuanceCsv } from "./exports";
import { errorBody, errorHandler, parseInput, RequestValidationError, unknownRoute } from "./httpSupport";
import type { RegistrySimulator } from "./simulator";
import { toWebhookEndpointDocument } from "./webhookDispatcher";
import {
  changesQuerySchema,
  createAccountBodySchema,
  createProjectBodySchema,
  createWebhookEndpointBodySchema,
  creditsQuerySchema,
  issueBodySchema,
  REQUEST_BODY_SCHEMAS,
  REQUEST_KINDS,
  REQUEST_ROUTES,
  setAccountNoteBodySchema,
  type RequestBodies,
  type RequestKind,
} from "./wire";

const idempotencyHeaderSchema = z.object({
  "Idempotency-Key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { message: "must be 1–255 visible ASCII characters" })
    .optional(),
});
const registryFilterSchema = z.object({ registry: registryIdSchema.optional() });

/** The express application serving `simulator`. */
export function createRegistrySimulatorApp(simulator: RegistrySimulator): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use("/v1/admin", adminRouter(simulator));
  app.use(simulator.faults.middleware);
  app.use(express.json({ limit: "1mb" }));
  app.use("/v1", nativeApiRouter(simulator));
  app.use("/registries/:registry/v1", adapterApiRouter(simulator));
  app.get("/credits", (req, res) => {
    const query = parseInput(creditsQuerySchema, req.query, "query");
    const page = goldStandardCreditsPage(simulator.ledger, query.page, query.size);
    res.set("X-Total-Count", String(page.total)).json(page.records);
  });
  app.use(unknownRoute);
  app.use(errorHandler(simulator.logger));
  return app;
}

function nativeApiRouter(simulator: RegistrySimulator): express.Router {
  const router = express.Router();
  const { ledger } = simulator;

  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/registries", (_req, res) => {
    res.json(REGISTRY_IDS.map((registry: RegistryId) => ({ id: registry, platformCustodyAccountId: ledger.platformCustodyAccount(registry).id })));
  });

  // -- accounts ---------------------------------------------------------------------------------
  router.post("/accounts", (req, res) => {
    const account = simulator.createAccount(parseInput(createAccountBodySchema, req.body, "body"));
    res.status(201).location(`/v1/accounts/${encodeURIComponent(account.id)}`).json(toAccountDocument(account));
  });
  router.get("/accounts", (req, res) => {
    const { registry } = parseInput(registryFilterSchema, req.query, "query");
    res.json(ledger.listAccounts(registry).map(toAccountDocument));
  });
  router.get("/accounts/:accountId", (req, res) => {
    res.json(toAccountDocument(ledger.getAccount(req.params.accountId)));
  });
  router.put("/accounts/:accountId/note", (req, res) => {
    const { note } = parseInput(setAccountNoteBodySchema, req.body, "body");
    res.json(toAccountDocument(simulator.setAccountNote(req.params.accountId, note)));
  });
  router.post("/accounts/:accountId/close", (req, res) => {
    res.json(toAccountDocument(simulator.closeAccount(req.params.accountId)));
  });
  router.get("/accounts/:accountId/holdings", (req, res) => {
    res.json(toHoldingsDocument(ledger.getAccount(req.params.accountId), ledger));
  });

  // -- projects, issuances, serials -------------------------------------------------------------
  router.post("/projects", (req, res) => {
    const project = simulator.createProject(parseInput(createProjectBodySchema, req.body, "body"));
    res.status(201).location(`/v1/projects/${project.registry}/${encodeURIComponent(project.id)}`).json(toProjectDocument(project));
  });
  router.get("/projects", (req, res) => {
    const { registry } = parseInput(registryFilterSchema, req.query, "query");
    res.json(ledger.listProjects(registry).map(toProjectDocument));
  });
  router.get("/projects/:registry/:projectId", (req, res) => {
    const registry = parseInput(registryIdSchema, req.params.registry, "path");
    res.json(toProjectDocument(ledger.getProject(registry, req.params.projectId)));
  });
  router.post("/issuances", (req, res) => {
    const issuance = simulator.issue(parseInput(issueBodySchema, req.body, "body"));
    res.status(201).location(`/v1/issuances/${encodeURIComponent(issuance.id)}`).json(toIssuanceDocument(issuance, ledger));
  });
  router.get("/issuances", (req, res) => {
    const filter = parseInput(registryFilterSchema.extend({ projectId: z.string().optional() }), req.query, "query");
    res.json(ledger.listIssuances(filter).map((issuance) => toIssuanceDocument(issuance, ledger)));
  });
  router.get("/issuances/:issuanceId", (req, res) => {
    res.json(toIssuanceDocument(ledger.getIssuance(req.params.issuanceId), ledger));
  });
  router.get("/serials/:serialNumber", (req, res) => {
    const location = ledger.locateSerialNumber(req.params.serialNumber);
    if (!location.found) {
      res.status(404).json(errorBody("SERIAL_NOT_FOUND", location.reason));
      return;
    }
    res.json(toSerialStatusDocument(req.params.serialNumber, location, ledger));
  });

  // -- operations -------------------------------------------------------------------------------
  for (const kind of REQUEST_KINDS) {
    router.post(`/${REQUEST_ROUTES[kind]}`, (req, res) => submitNativeRequest(simulator, kind, req, res));
  }
  router.get("/requests/:requestId", (req, res) => {
    const request = simulator.processor.get(req.params.requestId);
    if (request === undefined) throw notFound("request", req.params.requestId);
    res.json(toRequestDocument(request));
  });

  // -- change feed and webhooks -----------------------------------------------------------------
  router.get("/changes", (req, res) => {
    const query = parseInput(changesQuerySchema, req.query, "query");
    const after = Number(query.after ?? "0");
    if (after > simulator.feed.length) {
      throw new RequestValidationError("query", [
        { field: "after", message: `cursor ${after} is beyond the end of the feed (${simulator.feed.length} changes): was the registry restarted?` },
      ]);
    }
    res.json(simulator.feed.page(after, query.limit));
  });
  router.post("/webhook-endpoints", (req, res) => {
    const endpoint = simulator.webhooks.registerEndpoint(parseInput(createWebhookEndpointBodySchema, req.body, "body"));
    res.status(201).json({ ...toWebhookEndpointDocument(endpoint), secret: endpoint.secret });
  });
  router.get("/webhook-endpoints", (_req, res) => {
    res.json(simulator.webhooks.listEndpoints().map(toWebhookEndpointDocument));
  });
  router.get("/webhook-endpoints/:endpointId", (req, res) => {
    res.json(toWebhookEndpointDocument(simulator.webhooks.getEndpoint(req.params.endpointId)));
  });
  router.delete("/webhook-endpoints/:endpointId", (req, res) => {
    simulator.webhooks.deleteEndpoint(req.params.endpointId);
    res.status(204).end();
  });

  // -- exports ----------------------------------------------------------------------------------
  const csv = (res: Response, fileName: string, body: string) => res.type("text/csv; charset=utf-8").attachment(fileName).send(body);
  router.get("/exports/verra/issuances.csv", (_req, res) => csv(res, "verra-issuances.csv", verraIssuanceCsv(ledger)));
  router.get("/exports/gold-standard/credits.csv", (_req, res) => csv(res, "gold-standard-credits.csv", goldStandardCreditsCsv(ledger)));
  router.get("/exports/gold-standard/retirements.csv", (_req, res) =>
    csv(res, "gold-standard-retirements.csv", goldStandardRetirementsCsv(ledger)),
  );
  router.get("/exports/ccts/certificates.csv", (_req, res) => csv(res, "ccts-certificates.csv", cctsCertificatesCsv(ledger)));

  router.use(unknownRoute);
  return router;
}

function submitNativeRequest<K extends RequestKind>(simulator: RegistrySimulator, kind: K, req: Request, res: Response): void {
  const idempotencyKey = parseInput(idempotencyHeaderSchema, { "Idempotency-Key": req.get("Idempotency-Key") }, "header")["Idempotency-Key"];
  const body = parseInput(REQUEST_BODY_SCHEMAS[kind], req.body, "body") as RequestBodies[K];
  const { request, replayed } = simulator.submit(kind, body, { idempotencyKey });
  if (replayed) res.set("Idempotent-Replayed", "true");
  res.status(202).location(`/v1/requests/${request.id}`).json(toRequestDocument(request));
}
