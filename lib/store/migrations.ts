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
    version: 6,
    description: "full-text search of history (FTS5), kept in step by triggers; uploads",
    up(db) {
      // Contentless: the text is already in `history`; the index holds only tokens. `meta`
      // holds one token per thing a search narrows by, so the index applies those too and
      // the work of a search is the matches the caller may see, not the whole history:
      // t<hex of the conversation key>, p<hex of each side> for a private one, n<hex of the
      // sender's casefolded nick> (hex, because the tokenizer would split the raw forms).
      // Triggers rather than writes beside the batched appends, so that every path that
      // adds, changes or deletes a history row (appends, prune, migrations, redaction) keeps
      // the index in step without knowing about it. No word positions (detail = column):
      // a search is words and tokens, never a phrase, and the index is smaller and faster.
      db.exec(`
        CREATE VIRTUAL TABLE history_fts USING fts5(
          text, meta, content = '', contentless_delete = 1, detail = column,
          tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER history_fts_insert AFTER INSERT ON history BEGIN
          INSERT INTO history_fts (rowid, text, meta) VALUES (new.id, new.text, ${
        searchMeta("new")
      });
        END;
        CREATE TRIGGER history_fts_delete AFTER DELETE ON history BEGIN
          DELETE FROM history_fts WHERE rowid = old.id;
        END;
        CREATE TRIGGER history_fts_update AFTER UPDATE OF text, target, source ON history BEGIN
          DELETE FROM history_fts WHERE rowid = old.id;
          INSERT INTO history_fts (rowid, text, meta) VALUES (new.id, new.text, ${
        searchMeta("new")
      });
        END;
        INSERT INTO history_fts (rowid, text, meta)
          SELECT id, text, ${searchMeta("history")} FROM history;
        CREATE TABLE uploads (
          id TEXT PRIMARY KEY,
          account TEXT NOT NULL,
          size INTEGER NOT NULL,
          name TEXT NOT NULL,
          content_type TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX uploads_account ON uploads (account);
      `);
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
  {
    version: 9,
    description: "full-text indexing in batches by the store, not a trigger per append",
    up(db) {
      // A trigger indexed each message inside the append's transaction, on the event loop:
      // one FTS5 segment flush per commit made the many-rooms bench's server CPU 28 -> 41 %
      // and its p99 5 -> 14-33 ms. The store now indexes what is new once a second, in one
      // transaction, and before every search (SqliteStore.#indexNew), so a search still
      // finds every message appended before it. Deletes and updates keep their triggers.
      db.exec("DROP TRIGGER IF EXISTS history_fts_insert");
    },
  },
  {
    version: 10,
    description: "metadata (draft/metadata-2) of accounts and registered channels",
    up(db) {
      // owner: `@account` or a channel name, casefolded
      db.exec(`
        CREATE TABLE metadata (
          owner TEXT NOT NULL,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (owner, key)
        ) WITHOUT ROWID;
      `);
    },
  },
];

/**
 * The SQL for the `meta` tokens of a history row (see migration 6); `row` is `new` in a
 * trigger. The nick is casefolded as lib/protocol/casemap.ts does (ASCII and `[]\^`).
 */
export function searchMeta(row: string): string {
  const nick = `CASE WHEN instr(${row}.source, '!') > 0
    THEN substr(${row}.source, 1, instr(${row}.source, '!') - 1) ELSE ${row}.source END`;
  const folded =
    `replace(replace(replace(replace(lower(${nick}), '[', '{'), ']', '}'), '\\', '|'), '^', '~')`;
  const t = `${row}.target`;
  return `'t' || hex(${t}) ||
    CASE WHEN substr(${t}, 1, 3) = 'dm:' AND instr(${t}, ' ') > 0
      THEN ' p' || hex(substr(${t}, 4, instr(${t}, ' ') - 4)) ||
        ' p' || hex(substr(${t}, instr(${t}, ' ') + 1))
      ELSE '' END ||
    ' n' || hex(${folded})`;
}

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
