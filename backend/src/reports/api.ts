/**
 * Claims reports and certificate verification (public: a buyer's auditor or regulator uses them):
 *
 * | route | what |
 * |---|---|
 * | `GET /v1/reports/claims?beneficiary=&from=&to=&format=json|csv|pdf` | retirements of a beneficiary (wallet or exact name) whose claim period overlaps [from, to]; totals of registry-confirmed ones only |
 * | `GET /v1/certificates/:id/verify` | the certificate read from the chain: exists, owner, serial range, registry status, claim hash check |
 */
import { z } from "zod";
import { ApiError } from "../api/errors";
import { defineRoute, reply, type ApiModule } from "../api/route";
import type { AnyPublicClient } from "../audit/chainReader";
import type { Deployment } from "../chain/deployment";
import { jsonSafe } from "../custody/json";
import type { Queryable } from "../db";
import { isoDateSchema } from "../domain";
import { claimsCsv } from "./claimsCsv";
import { claimsPdf } from "./claimsPdf";
import { claimsReport, InvalidReportQueryError } from "./claimsReport";
import { verifyCertificate } from "./certificateVerification";

export interface ReportsApiDeps {
  readonly pool: Queryable;
  readonly chainId: number;
  /** Chain access for certificate verification (the route is left out without it). */
  readonly publicClient?: AnyPublicClient;
  readonly deployment?: Deployment;
}

const fileName = (beneficiary: string, from: string, to: string, ext: string) =>
  `claims-${beneficiary.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60)}-${from}-${to}.${ext}`;

export function reportsApi(deps: ReportsApiDeps): ApiModule {
  const routes = [
    defineRoute({
      method: "get",
      path: "/v1/reports/claims",
      access: "public",
      summary: "claims report of a beneficiary for a reporting period (json, csv or pdf)",
      query: z.object({
        beneficiary: z.string().trim().min(1, "beneficiary must be a wallet address or a beneficiary name").max(512),
        from: isoDateSchema,
        to: isoDateSchema,
        format: z.enum(["json", "csv", "pdf"]).default("json"),
      }),
      handler: async ({ query }) => {
        let report;
        try {
          report = await claimsReport(deps.pool, deps.chainId, query);
        } catch (error) {
          if (error instanceof InvalidReportQueryError) throw new ApiError(400, "INVALID_REQUEST", error.message);
          throw error;
        }
        if (query.format === "csv") {
          return reply(200, claimsCsv(report), {
            contentType: "text/csv; charset=utf-8",
            headers: { "content-disposition": `attachment; filename="${fileName(query.beneficiary, query.from, query.to, "csv")}"` },
          });
        }
        if (query.format === "pdf") {
          return reply(200, await claimsPdf(report), {
            contentType: "application/pdf",
            headers: { "content-disposition": `attachment; filename="${fileName(query.beneficiary, query.from, query.to, "pdf")}"` },
          });
        }
        return jsonSafe(report);
      },
    }),
  ];
  const { publicClient, deployment } = deps;
  if (publicClient !== undefined && deployment !== undefined) {
    routes.push(
      defineRoute({
        method: "get",
        path: "/v1/certificates/:id/verify",
        access: "public",
        summary: "check a retirement certificate id against the chain: exists, owner, serial range, registry status",
        params: z.object({
          id: z
            .string()
            .regex(/^(0|[1-9][0-9]{0,77})$/, "id must be a decimal certificate id")
            .transform((v) => BigInt(v)),
        }),
        handler: async ({ params }) => {
          const result = await verifyCertificate(publicClient, deployment, params.id);
          if (!result.exists) throw new ApiError(404, "NOT_FOUND", result.message);
          return jsonSafe(result);
        },
      }),
    );
  }
  return { name: "reports", routes };
}
