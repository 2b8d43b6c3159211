/**
 * The PostgreSQL schema as numbered migrations, the counterpart of the SQLite ones in
 * `migrations.ts` (the same tables and keys; types PostgreSQL's own). Each runs once, in
 * order, inside the migrating transaction. Never edit a released migration: add the next one.
 *
 * @module
 */

/** One schema step: plain SQL, run as one script. */
export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, oldest first. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: "accounts, channels, klines, history",
    sql: `
      CREATE TABLE accounts (
        folded text PRIMARY KEY,
        name text NOT NULL,
        password_hash text NOT NULL,
        email text,
        created_at bigint NOT NULL,
        oper boolean NOT NULL DEFAULT false
      );
      CREATE TABLE channels (
        folded text PRIMARY KEY,
        name text NOT NULL,
        founder text NOT NULL,
        registered_at bigint NOT NULL,
        state jsonb NOT NULL
      );
      CREATE TABLE klines (
        mask text PRIMARY KEY,
        reason text NOT NULL,
        set_by text NOT NULL,
        set_at bigint NOT NULL,
        expires_at bigint
      );
      CREATE TABLE history (
        id bigserial PRIMARY KEY,
        msgid text NOT NULL UNIQUE,
        time bigint NOT NULL,
        target text NOT NULL,
        raw_target text NOT NULL,
        source text NOT NULL,
        account text,
        command text NOT NULL,
        text text NOT NULL,
        tags jsonb
      );
      CREATE INDEX history_target_time ON history (target, time, id);
      CREATE INDEX history_time ON history (time);
    `,
  },
  {
    version: 2,
    description: "the private conversations each party is a side of",
    // CHATHISTORY TARGETS reads the caller's conversations only: its channels by key, its
    // private ones through this table, each with one seek on history_target_time
    sql: `
      CREATE TABLE conversation_parties (
        party TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (party, target)
      );
      INSERT INTO conversation_parties (party, target)
        SELECT split_part(substr(target, 4), ' ', 1), target FROM history
          WHERE target LIKE 'dm:% %' GROUP BY target
        UNION
        SELECT split_part(substr(target, 4), ' ', 2), target FROM history
          WHERE target LIKE 'dm:% %' GROUP BY target;
    `,
  },
  {
    version: 3,
    description: "read markers per account and conversation",
    sql: `
      CREATE TABLE read_markers (
        account text NOT NULL,
        target text NOT NULL,
        time bigint NOT NULL,
        PRIMARY KEY (account, target)
      );
    `,
  },
  {
    version: 4,
    description: "multiline messages keep their line composition",
    // the offsets of draft/multiline-concat lines in the combined text; NULL for one line
    sql: `ALTER TABLE history ADD COLUMN multiline jsonb;`,
  },
  {
    version: 5,
    description: "full-text search of history (tsvector and a GIN index); uploads",
    // an index on the expression, not a stored column: every insert, update and delete
    // keeps it in step, and the history reads (SELECT *) carry no tsvector. The 'simple'
    // configuration (no stemming, no stop words) matches whole words as the SQLite store's
    // FTS5 index does
    sql: `
      CREATE INDEX history_search ON history USING gin (to_tsvector('simple', text));
      CREATE TABLE uploads (
        id text PRIMARY KEY,
        account text NOT NULL,
        size bigint NOT NULL,
        name text NOT NULL,
        content_type text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX uploads_account ON uploads (account);
    `,
  },
  {
    version: 6,
    description: "history floors of public channels, handed on across restarts",
    sql: `
      CREATE TABLE history_floors (
        folded text PRIMARY KEY,
        floor bigint NOT NULL
      );
    `,
  },
  {
    version: 7,
    description: "always-on accounts and what restores them",
    // NULL: always-on is off; else an AlwaysOnState
    sql: `ALTER TABLE accounts ADD COLUMN always_on jsonb;`,
  },
  {
    version: 8,
    description: "metadata (draft/metadata-2) of accounts and registered channels",
    // owner: `@account` or a channel name, casefolded
    sql: `
      CREATE TABLE metadata (
        owner text NOT NULL,
        key text NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (owner, key)
      );
    `,
  },
];
