/**
 * The adapter API of `../api.ts`, served under one root per registry,
 * `/registries/{verra|gold_standard|ccts}/v1` (`registryApiBaseUrl`): serial-block status,
 * account status (with the public note used for onboarding's linkage challenge), operations, and transfer / lock / redemption / retirement requests validated with the adapter's
 * own zod schemas. Requests are mapped onto the simulator's native requests (same queue, same
 * cycle, same ledger); `requestId` is the idempotency key.
 */
import express from "express";
import { getAddress } from "viem";
import type { z } from "zod";
import { detectRegistry } from "../adapter";
import {
  lockRequestSchema,
  operationSearchRequestSchema,
  serialBlockSearchRequestSchema,
  redemptionRequestSchema,
  retirementRequestSchema,
  requestIdSchema,
  transferRequestSchema,
  type OperationKind,
  type RegistryAccountStatus,
  type RegistryOperation,
  type SerialRange,
} from "../api";
import { REGISTRY_IDS, type RegistryId } from "../../domain";
import { SimulatorApiError } from "./errors";
import { errorBody, errorHandler, parseInput, RequestValidationError, unknownRoute } from "./httpSupport";
import type { RegistryRequest } from "./requestProcessor";
import { serialBlockStatusOf } from "./serialBlockStatus";
import { parseSerialNumber, SerialNumberError } from "./serialNumbers";
import type { RegistrySimulator } from "./simulator";
import { REQUEST_BODY_SCHEMAS, REQUEST_ROUTES, type RequestBodies, type RequestKind } from "./wire";

const OPERATION_KINDS: Readonly<Partial<Record<RequestKind, OperationKind>>> = {
  transfer: "TRANSFER",
  lock: "LOCK",
  redemption: "REDEMPTION",
  retirement: "RETIREMENT",
};

const OPERATION_STATUSES = { queued: "PENDING", completed: "COMPLETED", rejected: "REJECTED" } as const;

/** Router for `/registries/:registry/v1`. */
export function adapterApiRouter(simulator: RegistrySimulator): express.Router {
  const router = express.Router({ mergeParams: true });
  const registryOf = (req: express.Request): RegistryId => {
    const registry = String(req.params.registry ?? "").toUpperCase();
    const found = REGISTRY_IDS.find((id) => id === registry);
    if (found === undefined) throw new SimulatorApiError(404, "NOT_FOUND", `no registry ${JSON.stringify(req.params.registry)}: use verra, gold_standard or ccts`);
    return found;
  };

  // Searches (many records per request, capped like the real registries' search and list APIs).
  router.post("/operations/search", (req, res) => {
    const registry = registryOf(req);
    const body = parseInput(operationSearchRequestSchema, req.body, "body");
    const operations: RegistryOperation[] = [];
    for (const id of new Set(body.operationIds)) {
      const request = simulator.processor.get(id);
      const operation = request === undefined ? undefined : toRegistryOperation(simulator, request);
      if (operation !== undefined && operation.registry === registry) operations.push(operation);
    }
    res.json({ operations });
  });

  router.post("/serial-blocks/search", (req, res) => {
    const registry = registryOf(req);
    const body = parseInput(serialBlockSearchRequestSchema, req.body, "body");
    const serialBlocks = [...new Set(body.serials)].flatMap((serial) => serialBlockStatusOf(simulator.ledger, registry, serial) ?? []);
    res.json({ serialBlocks });
  });

  router.get("/serial-blocks/:serial", (req, res) => {
    const status = serialBlockStatusOf(simulator.ledger, registryOf(req), req.params.serial);
    if (status === undefined) {
      res.status(404).json(errorBody("SERIAL_NOT_FOUND", `the registry has no block ${JSON.stringify(req.params.serial)}`));
      return;
    }
    res.json(status);
  });

  router.get("/accounts/:accountId", (req, res) => {
    const registry = registryOf(req);
    const account = simulator.ledger.findAccount(req.params.accountId);
    if (account === undefined || account.registry !== registry) {
      res.status(404).json(errorBody("ACCOUNT_NOT_FOUND", `the registry has no account ${JSON.stringify(req.params.accountId)}`));
      return;
    }
    const status: RegistryAccountStatus = {
      registry,
      accountId: account.id,
      name: account.name,
      country: account.country,
      closed: account.closed,
      note: account.note,
      updatedAt: account.updatedAt,
    };
    res.json(status);
  });

  router.get("/operations/:operationId", (req, res) => {
    const registry = registryOf(req);
    const request = simulator.processor.get(req.params.operationId);
    const operation = request === undefined ? undefined : toRegistryOperation(simulator, request);
    if (operation === undefined || operation.registry !== registry) {
      res.status(404).json(errorBody("OPERATION_NOT_FOUND", `the registry has no operation ${JSON.stringify(req.params.operationId)}`));
      return;
    }
    res.json(operation);
  });

  const submit = <K extends RequestKind, S extends z.ZodType<{ requestId: string; serial: string }>>(
    kind: K,
    schema: S,
    toNative: (body: z.output<S>, registry: RegistryId) => unknown,
  ) =>
    router.post(`/${REQUEST_ROUTES[kind]}`, (req, res) => {
      const registry = registryOf(req);
      const body = parseInput(schema, req.body, "body");
      requireSerialOf(registry, body.serial);
      const native = parseInput(REQUEST_BODY_SCHEMAS[kind], toNative(body, registry), "body") as RequestBodies[K];
      const { request, replayed } = simulator.submit(kind, native, {
        idempotencyKey: body.requestId,
        fingerprint: JSON.stringify(body),
        registry,
      });
      if (replayed) res.set("Idempotent-Replayed", "true");
      res.status(202).json(toRegistryOperation(simulator, request));
    });

  submit("transfer", transferRequestSchema, (body) => ({
    fromAccountId: body.fromAccount,
    toAccountId: body.toAccount,
    ...(body.memo === undefined ? {} : { memo: body.memo }),
    serialNumber: body.serial,
    ...rangeFields(body.range),
  }));
  submit("lock", lockRequestSchema, (body) => ({
    fromAccountId: body.fromAccount,
    custodyAccountId: body.custodyAccount,
    destinationWallet: getAddress(body.owner),
    lockRef: body.lockRef,
    chainId: body.chainId,
    serialNumber: body.serial,
    ...rangeFields(body.range),
  }));
  submit("redemption", redemptionRequestSchema, (body) => ({
    fromAccountId: body.custodyAccount,
    toAccountId: body.toAccount,
    platformReference: `redemption ${body.redemptionId} on chain ${body.chainId}`,
    serialNumber: body.serial,
    ...rangeFields(body.range),
  }));
  submit("retirement", retirementRequestSchema, (body, registry) => ({
    fromAccountId: body.custodyAccount,
    beneficiary: body.beneficiaryName ?? `beneficiary commitment ${body.beneficiaryCommitment}`,
    reason: body.beneficiaryName !== null ? "Retirement for Person or Organization" : "Other",
    details: `${body.reason} (reporting period ${body.periodStart} to ${body.periodEnd}, consumption country ${body.consumptionCountry})`,
    platformReference: `certificate ${body.certificateId} on chain ${body.chainId}`,
    useCase: registry === "CCTS" ? "Compliance" : "Voluntary",
    serialNumber: body.serial,
    ...rangeFields(body.range),
  }));

  router.use(unknownRoute);
  router.use(errorHandler(simulator.logger));
  return router;
}

function rangeFields(range: SerialRange | undefined): { serialStart?: string; serialEnd?: string } {
  return range === undefined ? {} : { serialStart: range.first, serialEnd: range.last };
}

/** @throws RequestValidationError when `serial` is malformed or belongs to another registry. */
function requireSerialOf(registry: RegistryId, serial: string): void {
  const detected = detectRegistry(serial);
  if (detected !== undefined && detected !== registry) {
    throw new RequestValidationError("body", [{ field: "serial", message: `is a ${detected} serial; this is the ${registry} registry` }]);
  }
  try {
    parseSerialNumber(serial);
  } catch (error) {
    if (error instanceof SerialNumberError) throw new RequestValidationError("body", [{ field: "serial", message: error.message }]);
    throw error;
  }
}

/** A request in the adapter API's words, or undefined when it has no such form (cancellations, unknown registry or block). */
export function toRegistryOperation(simulator: RegistrySimulator, request: RegistryRequest): RegistryOperation | undefined {
  const kind = OPERATION_KINDS[request.kind];
  if (kind === undefined || request.registry === null || request.namedSerial === null) return undefined;
  return {
    operationId: request.id,
    requestId: request.idempotencyKey !== null && requestIdSchema.safeParse(request.idempotencyKey).success ? request.idempotencyKey : request.id,
    registry: request.registry,
    kind,
    status: OPERATION_STATUSES[request.status],
    serial: request.namedSerial,
    resultSerial: resultSerialOf(simulator, request),
    rejectionReason: request.rejection === null ? null : `${request.rejection.code}: ${request.rejection.reason}`,
    ...operationParties(request),
    createdAt: request.submittedAt,
    updatedAt: request.processedAt ?? request.submittedAt,
  };
}

/** Accounts, memo and references of a request, from its outcome once processed, else from its input. */
function operationParties(request: RegistryRequest): Pick<RegistryOperation, "fromAccount" | "toAccount" | "memo" | "platformReference" | "registryRef" | "quantity"> {
  const input = request.input as { fromAccountId?: string; toAccountId?: string; custodyAccountId?: string; memo?: string; destinationWallet?: string; platformReference?: string };
  const outcome = request.outcome;
  return {
    fromAccount: outcome?.fromAccountId ?? input.fromAccountId ?? null,
    toAccount: outcome?.toAccountId ?? null,
    memo: outcome?.memo ?? input.memo ?? input.destinationWallet ?? null,
    platformReference: input.platformReference ?? null,
    registryRef: outcome?.registryRef ?? null,
    quantity: outcome === null ? null : String(outcome.quantity),
  };
}

/** The serial of everything the request produced, when that is one contiguous range. */
function resultSerialOf(simulator: RegistrySimulator, request: RegistryRequest): string | null {
  const ranges = request.outcome?.ranges ?? [];
  if (ranges.length === 0) return null;
  const contiguous = ranges.every((range, i) => i === 0 || (range.issuance === ranges[0].issuance && range.start === ranges[i - 1].end + 1n));
  if (!contiguous) return null;
  return simulator.ledger.serialNumberOf(ranges[0].issuance, { start: ranges[0].start, end: ranges[ranges.length - 1].end });
}
