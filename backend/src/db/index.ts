/** Database access: pool, migrations, transactions and the audit log. Test helpers live in `./testing`. */
export { openDatabase, pgliteDataFolder, EMBEDDED_APP_POOL_SIZE, EMBEDDED_QUEUE_POOL_SIZE } from "./openDatabase";
export type { Database, DatabaseKind, OpenDatabaseOptions } from "./openDatabase";
export { DataDirLockedError, acquireDataDirLock } from "./dataDirLock";
export type { DataDirLock } from "./dataDirLock";
export { runMigrations, loadMigrations, appliedMigrations, checksumOf, MigrationError, MIGRATIONS_DIRECTORY } from "./migrations";
export type { Migration, AppliedMigration, MigrationResult, RunMigrationsOptions } from "./migrations";
export { withTransaction } from "./transaction";
export type { Queryable, IsolationLevel, TransactionOptions } from "./transaction";
export { appendAuditEntry, auditEntriesFor, auditEntryInputSchema } from "./audit";
export type { AuditEntry, AuditEntryInput } from "./audit";
