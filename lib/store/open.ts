/**
 * Picks and opens the store the server was configured with: embedded SQLite in the data
 * folder (the default), memory, or a PostgreSQL database named by URL.
 *
 * @module
 */

import { join } from "node:path";
import { MemoryStore } from "./memory.ts";
import { SqliteStore, StoreOpenError } from "./sqlite.ts";
import type { ChatStore } from "./store.ts";

/** Which store, and what it needs to open. */
export interface StoreSpec {
  kind: "sqlite" | "memory" | "postgres";
  /** The data folder (SQLite keeps `chat.db` there). */
  dataDir: string;
  /** `postgres://user@host:port/db` for PostgreSQL. */
  url?: string;
  /** A file whose first line is the PostgreSQL password (never a flag: `ps` would show it). */
  passwordFile?: string;
}

/** The environment variable that may hold the PostgreSQL password instead of a file. */
export const STORE_PASSWORD_ENV = "DENO_CHAT_STORE_PASSWORD";

/**
 * The environment variables the PostgreSQL driver reads when it connects (libpq's `PG*`
 * settings and the user name), plus {@link STORE_PASSWORD_ENV}: a binary built with a narrow
 * `--allow-env` must allow them, or the driver's first read of one throws.
 */
export const STORE_ENV: readonly string[] = [
  STORE_PASSWORD_ENV,
  ...[
    "HOST",
    "PORT",
    "USERNAME",
    "USER",
    "DATABASE",
    "PASSWORD",
    "APPNAME",
    "TARGETSESSIONATTRS",
    "MAX",
    "SSL",
    "SSLNEGOTIATION",
    "IDLE_TIMEOUT",
    "CONNECT_TIMEOUT",
    "MAX_LIFETIME",
    "MAX_PIPELINE",
    "BACKOFF",
    "KEEP_ALIVE",
    "PREPARE",
    "DEBUG",
    "FETCH_TYPES",
    "PUBLICATIONS",
    "TARGET_SESSION_ATTRS",
  ].map((name) => "PG" + name),
  "USERNAME",
  "USER",
  "LOGNAME",
];

/**
 * Whether a `--store` value names PostgreSQL.
 *
 * @example
 * ```ts
 * import { isPostgresUrl } from "./open.ts";
 * import { equal } from "node:assert/strict";
 * equal(isPostgresUrl("postgres://chat@127.0.0.1:5432/chat"), true);
 * equal(isPostgresUrl("sqlite"), false);
 * ```
 */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Opens the store. Throws {@link StoreOpenError} with one clear sentence when it cannot.
 *
 * @example
 * ```ts
 * import { openStore } from "./open.ts";
 * import { equal } from "node:assert/strict";
 * const store = await openStore({ kind: "memory", dataDir: "." });
 * equal(store.kind, "memory");
 * await store.close();
 * ```
 */
export async function openStore(spec: StoreSpec): Promise<ChatStore> {
  if (spec.kind === "memory") return new MemoryStore();
  if (spec.kind === "sqlite") return SqliteStore.open(join(spec.dataDir, "chat.db"));
  let password: string | undefined;
  if (spec.passwordFile !== undefined) {
    try {
      password = (await Deno.readTextFile(spec.passwordFile)).split(/\r?\n/)[0];
    } catch (err) {
      throw new StoreOpenError(
        `cannot read the store password file ${spec.passwordFile}: ${(err as Error).message}`,
      );
    }
  } else {
    try {
      password = Deno.env.get(STORE_PASSWORD_ENV);
    } catch {
      // no permission to read it: no password from the environment
    }
  }
  // loaded only when asked for: a SQLite server never pays for the driver
  const { PostgresStore } = await import("./postgres.ts");
  return await PostgresStore.open({ url: spec.url!, password });
}
