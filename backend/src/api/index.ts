/** The HTTP API: route definitions, the app, sign-in and the platform assembly. Test helpers live in `./testing`. */
export { createApiApp, routeTable } from "./app";
export type { ApiAppOptions } from "./app";
export { ApiError, badRequest, conflict, forbidden, notFound, unauthorized, parseOrThrow, describeZodIssues } from "./errors";
export { ROLES, allows, defineRoute, reply, Reply } from "./route";
export type { Access, ApiModule, HttpMethod, RequestContext, Role, RouteDefinition, Session } from "./route";
export { authApi, addressSchema } from "./auth/api";
export { grantRole, revokeRole, rolesOf, listRoleGrants, isRole } from "./auth/store";
export { signIn } from "./auth/siwe";
export { platformApiModules, startPlatformApi } from "./platform";
export type { PlatformApiDeps } from "./platform";
export { startHttpServer } from "./server";
export type { RunningServer } from "./server";
