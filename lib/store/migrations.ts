/**
 * The SQLite schema as numbered migrations. Each runs once, in order, inside a transaction;
 * the database's `user_version` records how far it got. Never edit a released migration:
 * add the next one.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { dmParties } from "./store.ts";

/** One schema step. */
export interface Migration {
  version: number;
  description: string;
  up: (db: DatabaseSync) => void;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "accounts, channels, klines, history",
    up(db) {
      db.exec(`
        CREATE TABLE accounts (
          folded TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          email TEXT,
          created_at INTEGER NOT NULL,
          oper INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE channels (
          folded TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          founder TEXT NOT NULL,
          registered_at INTEGER NOT NULL,
          state TEXT NOT NULL
        );
        CREATE TABLE klines (
          mask TEXT PRIMARY KEY,
          reason TEXT NOT NULL,
          set_by TEXT NOT NULL,
          set_at INTEGER NOT NULL,
          expires_at INTEGER
        );
        CREATE TABLE history (
          id INTEGER PRIMARY KEY,
          msgid TEXT NOT NULL UNIQUE,
          time INTEGER NOT NULL,
          target TEXT NOT NULL,
          raw_target TEXT NOT NULL,
          source TEXT NOT NULL,
          account TEXT,
          command TEXT NOT NULL,
          text TEXT NOT NULL,
          tags TEXT
        );
        CREATE INDEX history_target_time ON history (target, time, id);
        CREATE INDEX history_time ON history (time);
      `);
    },
  },
  {
    version: 2,
    description: "private history keyed by account, not by nick",
    up(db) {
      // Before, a private conversation was keyed by the two casefolded nicks, so the next
      // holder of a nick could read the last one's messages. Now a side is `@account` (or a
      // guest id that lives as long as the guest's connection). Conversations between two
      // nicks that are both account names move to their accounts; the rest cannot be tied
      // to anyone any more and stay unreachable until the history retention prunes them.
      const accounts = new Set(
        (db.prepare("SELECT folded FROM accounts").all() as { folded: string }[])
          .map((r) => r.folded),
      );
      const keys = db.prepare("SELECT DISTINCT target FROM history WHERE target LIKE 'dm:%'")
        .all() as { target: string }[];
      const move = db.prepare("UPDATE history SET target = ? WHERE target = ?");
      for (const { target } of keys) {
        const [a, b] = target.slice(3).split(" ");
        if (b === undefined || !accounts.has(a) || !accounts.has(b)) continue;
        const [x, y] = [`@${a}`, `@${b}`].sort();
        move.run(`dm:${x} ${y}`, target);
      }
    },
  },
  {
    version: 3,
    description: "the private conversations each party is a side of",
    up(db) {
      // CHATHISTORY TARGETS grouped every message in the range and filtered afterwards:
      // seconds at a million rows, on the event loop. Now it takes the caller's channels by
      // key and its private conversations from this table, and seeks history_target_time
      // once for each. Written once per new conversation; a known one costs a read.
      db.exec(`
        CREATE TABLE conversation_parties (
          party TEXT NOT NULL,
          target TEXT NOT NULL,
          PRIMARY KEY (party, target)
        ) WITHOUT ROWID;
      `);
      const targets = db.prepare(
        "SELECT DISTINCT target FROM history WHERE target >= 'dm:' AND target < 'dm;'",
      ).all() as { target: string }[];
      const side = db.prepare(
        "INSERT OR IGNORE INTO conversation_parties (party, target) VALUES (?, ?)",
      );
      for (const { target } of targets) {
        for (const party of dmParties(target) ?? []) side.run(party, target);
      }
    },
  },
  {
    version: 4,
    description: "read markers per account and conversation",
    up(db) {
      db.exec(`
        CREATE TABLE read_markers (
          account TEXT NOT NULL,
          target TEXT NOT NULL,
          time INTEGER NOT NULL,
          PRIMARY KEY (account, target)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 5,
    description: "multiline messages keep their line composition",
    up(db) {
      // JSON: the offsets of draft/multiline-concat lines in the combined text; NULL for a
      // one-line message (see HistoryMessage.multiline)
      db.exec("ALTER TABLE history ADD COLUMN multiline TEXT");
    },
  },
  {
    version: 7,
    description: "history floors of public channels, handed on across restarts",
    up(db) {
      db.exec(`
        CREATE TABLE history_floors (
          folded TEXT PRIMARY KEY,
          floor INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 8,
    description: "always-on accounts and what restores them",
    up(db) {
      // NULL: always-on is off; else the JSON of an AlwaysOnState
      db.exec("ALTER TABLE accounts ADD COLUMN always_on TEXT");
    },
  },
];

/**
 * Applies the migrations the database has not seen yet. Refuses a database from a newer
 * version of the program rather than guessing.
 *
 * @example
 * ```ts ignore
 * const applied = migrate(db); // e.g. [1] on a new database, [] afterwards
 * ```
 */
export function migrate(db: DatabaseSync): number[] {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const current = row.user_version;
  const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > newest) {
    throw new Error(
      `the database is from a newer deno-chat (schema ${current}, this one knows ${newest})`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      m.up(db);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
    applied.push(m.version);
  }
  return applied;
}
