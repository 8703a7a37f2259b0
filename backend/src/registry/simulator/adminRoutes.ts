/**
 * `/v1/admin/*`: the control surface over HTTP, guarded by `Authorization: Bearer <admin token>`
 * (403 when the simulator runs without a token). Never subject to injected faults.
 */
import express from "express";
import { z } from "zod";
import { apiFaultRuleSchema } from "./apiFaults";
import { errorBody, errorHandler, parseInput, unknownRoute } from "./httpSupport";
import type { RegistrySimulator } from "./simulator";
import { requestKindSchema } from "./wire";

const rate = z.number().min(0).max(1).optional();
const cycleBodySchema = z.strictObject({ cycleMs: z.number().int().positive().nullable() });
const chaosBodySchema = z.strictObject({ duplicateRate: rate, reorderRate: rate, dropFirstAttemptRate: rate, dropDeliveryRate: rate });
const timeFactorBodySchema = z.strictObject({ timeFactor: z.number().positive() });
const faultsBodySchema = z.strictObject({ rules: z.array(apiFaultRuleSchema) });
const rejectNextBodySchema = z.strictObject({ kind: requestKindSchema, reason: z.string().trim().min(1).max(500) });

export function adminRouter(simulator: RegistrySimulator): express.Router {
  const router = express.Router();
  const { control } = simulator;
  router.use((req, res, next) => {
    if (simulator.adminToken === undefined) {
      res.status(403).json(errorBody("ADMIN_DISABLED", "the admin API is off: start the simulator with an admin token"));
      return;
    }
    if (req.get("Authorization") !== `Bearer ${simulator.adminToken}`) {
      res.status(401).set("WWW-Authenticate", "Bearer").json(errorBody("UNAUTHORIZED", "admin token missing or wrong"));
      return;
    }
    next();
  });
  router.use(express.json({ limit: "100kb" }));

  router.post("/tick", (_req, res) => {
    res.json(control.tick());
  });
  router.put("/cycle", (req, res) => {
    const { cycleMs } = parseInput(cycleBodySchema, req.body, "body");
    control.setCycleMs(cycleMs);
    res.json({ cycleMs: control.cycleMs });
  });
  router.get("/faults", (_req, res) => {
    res.json(control.apiFaults());
  });
  router.put("/faults", (req, res) => {
    const { rules } = parseInput(faultsBodySchema, req.body, "body");
    res.json({ rules: control.setApiFaults(rules) });
  });
  router.delete("/faults", (_req, res) => {
    control.clearApiFaults();
    res.status(204).end();
  });
  router.put("/webhook-chaos", (req, res) => {
    res.json(control.setWebhookChaos(parseInput(chaosBodySchema, req.body, "body")));
  });
  router.put("/webhook-time-factor", (req, res) => {
    const { timeFactor } = parseInput(timeFactorBodySchema, req.body, "body");
    control.setWebhookTimeFactor(timeFactor);
    res.json({ timeFactor });
  });
  router.post("/reject-next", (req, res) => {
    const { kind, reason } = parseInput(rejectNextBodySchema, req.body, "body");
    control.rejectNext(kind, reason);
    res.status(204).end();
  });
  router.get("/webhook-deliveries", (_req, res) => {
    res.json({ stats: control.webhookStats(), deliveries: control.webhookDeliveries() });
  });
  router.use(unknownRoute);
  router.use(errorHandler(simulator.logger));
  return router;
}
