/**
 * The SQLite {@link ChatStore} on `node:sqlite`, in WAL mode, in the data folder. Message
 * appends are batched: every append made in one turn of the event loop goes into one
 * transaction, and each append's promise resolves after that transaction commits.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { migrate, searchMeta } from "./migrations.ts";
import { createPrivateFile, keepPrivate } from "../platform/private_files.ts";
import {
  type AccountRecord,
  type AlwaysOnEntry,
  type AlwaysOnState,
  type ChannelRecord,
  type ChatStore,
  type HistoryBound,
  type HistoryFloor,
  type HistoryMessage,
  type HistoryTarget,
  type KlineRecord,
  SEARCH_SCAN,
  type SearchQuery,
  searchVisible,
  searchWords,
  type TargetScope,
  type UploadRecord,
} from "./store.ts";
import { dmParties, TARGETS_SCAN } from "./store.ts";

/** A store that cannot be opened: the message says why, in one sentence. */
export class StoreOpenError extends Error {}

interface HistoryRow {
  id: number;
  msgid: string;
  time: number;
  target: string;
  raw_target: string;
  source: string;
  account: string | null;
  command: string;
  text: string;
  tags: string | null;
  multiline: string | null;
}

/** An id above every real one, for a time-only bound that must sort after its millisecond. */
const MAX_ID = Number.MAX_SAFE_INTEGER;
/**
 * Rows deleted per transaction by prune, between turns of the event loop. Each row deleted
 * dirties pages of four indexes, and the WAL checkpoint that follows a large commit runs on
 * the event loop: small steps keep every turn short (bench/README.md, store queries).
 */
const PRUNE_STEP = 250;
/** History rows the full-text index takes in one step of catching up. */
const INDEX_STEP = 5000;
/** Index entries prune counts in one statement while it looks for a conversation's cap. */
const PRUNE_WALK = 10_000;
/** How long prune works before it gives the event loop a turn, in milliseconds. */
const PRUNE_SLICE_MS = 2;
/** A time after every message, for the newest end of a conversation. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

interface Pending {
  message: HistoryMessage;
  resolve: () => void;
  reject: (err: Error) => void;
}

function toMessage(r: HistoryRow): HistoryMessage {
  return {
    msgid: r.msgid,
    time: r.time,
    target: r.target,
    rawTarget: r.raw_target,
    source: r.source,
    account: r.account ?? undefined,
    command: storedCommand(r.command),
    text: r.text,
    tags: r.tags ? JSON.parse(r.tags) : undefined,
    ...(r.multiline ? { multiline: JSON.parse(r.multiline) } : {}),
  };
}

const hexEncoder = new TextEncoder();

/** A `meta` token of the search index (see migration 6): a kind letter and the hex bytes. */
function metaToken(kind: "t" | "p" | "n", value: string): string {
  let hex = "";
  for (const b of hexEncoder.encode(value)) hex += b.toString(16).padStart(2, "0");
  return kind + hex;
}

/**
 * The FTS5 query of a search, or undefined when it can match nothing. The user's words go
 * in only as quoted strings, so no FTS5 syntax of theirs (a column filter, NEAR, `*`)
 * reaches the query: a word is only ever a word to look for in the text.
 */
function ftsQuery(q: SearchQuery): string | undefined {
  const scope = [...q.keys.keys()].map((k) => metaToken("t", k));
  if (q.party !== undefined) scope.push(metaToken("p", q.party));
  if (scope.length === 0) return undefined;
  let query = `meta : (${scope.join(" OR ")})`;
  if (q.from !== undefined) query += ` AND meta : ${metaToken("n", q.from)}`;
  if (q.text !== undefined) {
    const words = searchWords(q.text);
    if (words.length === 0) return undefined;
    query += ` AND text : (${words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ")})`;
  }
  return query;
}

/**
 * A stored command as {@link HistoryMessage} has it (shared with the PostgreSQL store).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { storedCommand } from "./sqlite.ts";
 * strictEqual(storedCommand("TAGMSG"), "TAGMSG");
 * strictEqual(storedCommand("privmsg"), "PRIVMSG");
 * ```
 */
export function storedCommand(command: string): HistoryMessage["command"] {
  return command === "NOTICE" || command === "TAGMSG" ? command : "PRIVMSG";
}

/**
 * Opens (creating if needed) the database at `path`. A damaged file, a file that is not a
 * database, or one held by another running server is a {@link StoreOpenError}; never is a
 * new empty database made silently in its place.
 *
 * @example
 * ```ts ignore
 * const store = SqliteStore.open("./chat-data/chat.db");
 * await store.countAccounts();
 * await store.close();
 * ```
 */
export class SqliteStore implements ChatStore {
  readonly kind = "sqlite" as const;
  readonly #db: DatabaseSync;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #closed = false;
  readonly #insert: StatementSync;
  readonly #side: StatementSync;
  readonly #statements = new Map<string, StatementSync>();
  #seen: Set<string> | undefined;

  /** The newest history id in the full-text index (rows after it are indexed later). */
  #indexedUpTo = 0;
  #indexTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    const top = db.prepare("SELECT rowid AS id FROM history_fts ORDER BY rowid DESC LIMIT 1")
      .get() as { id: number } | undefined;
    this.#indexedUpTo = top?.id ?? 0;
    this.#insert = db.prepare(
      `INSERT INTO history
         (msgid, time, target, raw_target, source, account, command, text, tags, multiline)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (msgid) DO NOTHING`,
    );
    // a probe that writes nothing when the conversation is known: the hot path stays as it was
    this.#side = db.prepare(
      "INSERT OR IGNORE INTO conversation_parties (party, target) VALUES (?, ?)",
    );
  }

  /** A prepared statement per SQL text, prepared once: parsing SQL on every call costs. */
  #stmt(sql: string): StatementSync {
    this.#seen?.add(sql);
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Always: the database is a local file, open for the server's lifetime. */
  available(): boolean {
    return true;
  }

  /** Opens the store; throws {@link StoreOpenError} with a clear reason. */
  static open(path: string): SqliteStore {
    let db: DatabaseSync;
    try {
      // password hashes and every private message: readable by the owner only. SQLite gives
      // the -wal and -shm files the mode of the database file.
      createPrivateFile(path);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        try {
          keepPrivate(file);
        } catch {
          // someone else's file: theirs to protect; the database still opens
        }
      }
      db = new DatabaseSync(path);
    } catch (err) {
      throw new StoreOpenError(`cannot open the database ${path}: ${(err as Error).message}`);
    }
    try {
      db.exec("PRAGMA busy_timeout = 200");
      // one server per data folder: hold the lock for as long as we run
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      // a checkpoint runs inside a commit, on the event loop: SQLite's default of 1000 pages
      // keeps each one to a few ms. At 10000 pages each took ~30 ms every second or two
      // under load, and the many-rooms p99 was 14 ms instead of 5 (bench/README.md)
      db.exec("PRAGMA wal_autocheckpoint = 1000");
      db.exec("BEGIN IMMEDIATE");
      db.exec("COMMIT");
      const check = db.prepare("PRAGMA quick_check").get() as Record<string, string>;
      const verdict = Object.values(check)[0];
      if (verdict !== "ok") throw new Error(`integrity check failed: ${verdict}`);
      migrate(db);
    } catch (err) {
      try {
        db.close();
      } catch {
        // already unusable
      }
      const msg = (err as Error).message;
      if (/locked|busy/i.test(msg)) {
        throw new StoreOpenError(
          `the database ${path} is in use (is another chat-server running on this data folder?)`,
        );
      }
      if (/not a database|malformed|integrity/i.test(msg)) {
        throw new StoreOpenError(
          `the database ${path} is damaged (${msg}); move it away to start with an empty one`,
        );
      }
      throw new StoreOpenError(`cannot use the database ${path}: ${msg}`);
    }
    return new SqliteStore(db);
  }

  getAccount(folded: string): Promise<AccountRecord | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT * FROM accounts WHERE folded = ?").get(folded) as
        | Record<string, string | number | null>
        | undefined;
      if (!r) return undefined;
      return {
        folded: r.folded as string,
        name: r.name as string,
        passwordHash: r.password_hash as string,
        email: (r.email as string | null) ?? undefined,
        createdAt: r.created_at as number,
        oper: r.oper === 1,
      };
    });
  }

  createAccount(a: AccountRecord): Promise<boolean> {
    return Promise.try(() => {
      const r = this.#stmt(
        `INSERT OR IGNORE INTO accounts (folded, name, password_hash, email, created_at, oper)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(a.folded, a.name, a.passwordHash, a.email ?? null, a.createdAt, a.oper ? 1 : 0);
      return Number(r.changes) === 1;
    });
  }

  setAccountPassword(folded: string, passwordHash: string): Promise<void> {
    return Promise.try(() => {
      this.#stmt("UPDATE accounts SET password_hash = ? WHERE folded = ?").run(
        passwordHash,
        folded,
      );
    });
  }

  setAccountOper(folded: string, oper: boolean): Promise<void> {
    return Promise.try(() => {
      this.#stmt("UPDATE accounts SET oper = ? WHERE folded = ?").run(oper ? 1 : 0, folded);
    });
  }

  countAccounts(): Promise<number> {
    return Promise.try(() =>
      (this.#stmt("SELECT count(*) AS n FROM accounts").get() as { n: number }).n
    );
  }

  getAlwaysOn(folded: string): Promise<AlwaysOnState | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT always_on FROM accounts WHERE folded = ?").get(folded) as
        | { always_on: string | null }
        | undefined;
      return r?.always_on ? JSON.parse(r.always_on) as AlwaysOnState : undefined;
    });
  }

  setAlwaysOn(folded: string, state: AlwaysOnState | undefined): Promise<void> {
    return Promise.try(() => {
      this.#stmt("UPDATE accounts SET always_on = ? WHERE folded = ?").run(
        state === undefined ? null : JSON.stringify(state),
        folded,
      );
    });
  }

  listAlwaysOn(): Promise<AlwaysOnEntry[]> {
    return Promise.try(() => {
      const rows = this.#stmt(
        "SELECT folded, name, always_on FROM accounts WHERE always_on IS NOT NULL ORDER BY folded",
      ).all() as { folded: string; name: string; always_on: string }[];
      return rows.map((r) => ({
        folded: r.folded,
        name: r.name,
        state: JSON.parse(r.always_on) as AlwaysOnState,
      }));
    });
  }

  getChannel(folded: string): Promise<ChannelRecord | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT state FROM channels WHERE folded = ?").get(folded) as
        | { state: string }
        | undefined;
      return r ? JSON.parse(r.state) : undefined;
    });
  }

  saveChannel(c: ChannelRecord): Promise<void> {
    return Promise.try(() => {
      this.#stmt(
        `INSERT INTO channels (folded, name, founder, registered_at, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (folded) DO UPDATE SET name = excluded.name, founder = excluded.founder,
         state = excluded.state`,
      ).run(c.folded, c.name, c.founder, c.registeredAt, JSON.stringify(c));
    });
  }

  deleteChannel(folded: string): Promise<void> {
    return Promise.try(() => {
      this.#stmt("DELETE FROM channels WHERE folded = ?").run(folded);
    });
  }

  listKlines(): Promise<KlineRecord[]> {
    return Promise.try(() => {
      const rows = this.#stmt("SELECT * FROM klines").all() as Record<
        string,
        string | number | null
      >[];
      return rows.map((r) => ({
        mask: r.mask as string,
        reason: r.reason as string,
        setBy: r.set_by as string,
        setAt: r.set_at as number,
        expiresAt: (r.expires_at as number | null) ?? undefined,
      }));
    });
  }

  addKline(k: KlineRecord): Promise<void> {
    return Promise.try(() => {
      this.#stmt(
        `INSERT OR REPLACE INTO klines (mask, reason, set_by, set_at, expires_at)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(k.mask, k.reason, k.setBy, k.setAt, k.expiresAt ?? null);
    });
  }

  removeKline(mask: string): Promise<boolean> {
    return Promise.try(() =>
      Number(this.#stmt("DELETE FROM klines WHERE mask = ?").run(mask).changes) > 0
    );
  }

  appendMessage(message: HistoryMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the store is closed"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // at the end of this turn's microtasks: every append made while handling the input
        // that is ready now shares one commit, and nobody waits for a timer
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    // the two sides of each private conversation in the batch, once per conversation
    const sides = new Set<string>();
    try {
      this.#db.exec("BEGIN");
      for (const { message: m } of batch) {
        this.#insert.run(
          m.msgid,
          m.time,
          m.target,
          m.rawTarget,
          m.source,
          m.account ?? null,
          m.command,
          m.text,
          m.tags ? JSON.stringify(m.tags) : null,
          m.multiline ? JSON.stringify(m.multiline) : null,
        );
        if (m.target.startsWith("dm:")) sides.add(m.target);
      }
      for (const target of sides) {
        for (const party of dmParties(target) ?? []) this.#side.run(party, target);
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // nothing to roll back
      }
      for (const p of batch) p.reject(err as Error);
      return;
    }
    for (const p of batch) p.resolve();
    // the full-text index follows in one transaction a second, not one per commit
    this.#indexTimer ??= setTimeout(() => {
      this.#indexTimer = undefined;
      try {
        this.#indexNew(INDEX_STEP);
      } catch (err) {
        console.error(`indexing history for search failed: ${(err as Error).message}`);
      }
    }, 1000);
  }

  /**
   * Adds history rows newer than the index to it, at most `most` of them (one step, so no
   * single call holds the event loop long); schedules the next step when more remain.
   */
  #indexNew(most: number): void {
    const rows = this.#stmt(
      "SELECT id FROM history WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?",
    ).get(this.#indexedUpTo, most - 1) as { id: number } | undefined;
    const upTo = rows?.id ??
      (this.#stmt("SELECT max(id) AS id FROM history").get() as { id: number | null }).id ??
      0;
    if (upTo <= this.#indexedUpTo) return;
    this.#db.exec("BEGIN");
    try {
      this.#stmt(
        `INSERT INTO history_fts (rowid, text, meta)
         SELECT id, text, ${searchMeta("history")} FROM history WHERE id > ? AND id <= ?`,
      ).run(this.#indexedUpTo, upTo);
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
    this.#indexedUpTo = upTo;
    if (rows) {
      this.#indexTimer ??= setTimeout(() => {
        this.#indexTimer = undefined;
        this.#indexNew(INDEX_STEP);
      }, 10);
    }
  }

  /**
   * A bound as a point in a conversation's (time, id) order, the order of the
   * history_target_time index: its message's own point when the msgid is stored, else
   * `idIfTime` at that time (0 sorts before every message of that millisecond, MAX_ID after).
   */
  #point(bound: HistoryBound, idIfTime: number): [number, number] {
    if (bound.msgid) {
      const r = this.#stmt("SELECT time, id FROM history WHERE msgid = ?").get(bound.msgid) as
        | { time: number; id: number }
        | undefined;
      if (r) return [r.time, r.id];
    }
    return [bound.time, idIfTime];
  }

  #rows(sql: string, ...args: (string | number)[]): HistoryMessage[] {
    return (this.#stmt(sql).all(...args) as unknown as HistoryRow[]).map(toMessage);
  }

  latest(target: string, limit: number, after?: HistoryBound): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      if (!after) {
        return this.#rows(
          "SELECT * FROM history WHERE target = ? ORDER BY time DESC, id DESC LIMIT ?",
          target,
          limit,
        ).reverse();
      }
      const [time, id] = this.#point(after, MAX_ID);
      return this.#rows(
        `SELECT * FROM history WHERE target = ? AND (time, id) > (?, ?)
         ORDER BY time DESC, id DESC LIMIT ?`,
        target,
        time,
        id,
        limit,
      ).reverse();
    });
  }

  before(target: string, bound: HistoryBound, limit: number): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const [time, id] = this.#point(bound, 0);
      return this.#rows(
        `SELECT * FROM history WHERE target = ? AND (time, id) < (?, ?)
         ORDER BY time DESC, id DESC LIMIT ?`,
        target,
        time,
        id,
        limit,
      ).reverse();
    });
  }

  after(
    target: string,
    bound: HistoryBound,
    limit: number,
    inclusive = false,
  ): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const [time, id] = this.#point(bound, inclusive ? 0 : MAX_ID);
      return this.#rows(
        `SELECT * FROM history WHERE target = ? AND (time, id) ${inclusive ? ">=" : ">"} (?, ?)
         ORDER BY time ASC, id ASC LIMIT ?`,
        target,
        time,
        id,
        limit,
      );
    });
  }

  between(
    target: string,
    low: HistoryBound,
    high: HistoryBound,
    limit: number,
    fromHigh: boolean,
  ): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const [lowTime, lowId] = this.#point(low, MAX_ID);
      const [highTime, highId] = this.#point(high, 0);
      const order = fromHigh ? "DESC" : "ASC";
      const rows = this.#rows(
        `SELECT * FROM history WHERE target = ? AND (time, id) > (?, ?) AND (time, id) < (?, ?)
         ORDER BY time ${order}, id ${order} LIMIT ?`,
        target,
        lowTime,
        lowId,
        highTime,
        highId,
        limit,
      );
      return fromHigh ? rows.reverse() : rows;
    });
  }

  targets(
    from: number,
    to: number,
    limit: number,
    scope: TargetScope,
  ): Promise<HistoryTarget[]> {
    return Promise.try(() => {
      const [lo, hi] = from <= to ? [from, to] : [to, from];
      const parties = this.#stmt(
        "SELECT target FROM conversation_parties WHERE party = ? LIMIT ?",
      ).all(scope.party, TARGETS_SCAN) as { target: string }[];
      const keys = new Set(scope.keys.slice(0, TARGETS_SCAN));
      for (const { target } of parties) keys.add(target);
      const found: { target: string; latest: number }[] = [];
      for (const target of keys) {
        // one seek on history_target_time, answered from the index alone: the
        // conversation's latest message time in the range
        const r = this.#stmt(
          "SELECT max(time) AS t FROM history WHERE target = ? AND time >= ? AND time <= ?",
        ).get(target, lo, hi) as { t: number | null };
        if (r.t !== null) found.push({ target, latest: r.t });
      }
      // the rows themselves only for the conversations listed
      return found.sort((a, b) => b.latest - a.latest).slice(0, limit).map(({ target, latest }) => {
        const r = this.#stmt(
          "SELECT raw_target FROM history WHERE target = ? AND time = ? ORDER BY id DESC LIMIT 1",
        ).get(target, latest) as { raw_target: string };
        return { target, rawTarget: r.raw_target, latest };
      });
    });
  }

  findMessage(msgid: string): Promise<HistoryBound | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT time FROM history WHERE msgid = ?").get(msgid) as
        | { time: number }
        | undefined;
      return r ? { time: r.time, msgid } : undefined;
    });
  }

  search(q: SearchQuery): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      // what was appended before the search is found by it: index the rest first
      this.#flush();
      this.#indexNew(Number.MAX_SAFE_INTEGER);
      const match = ftsQuery(q);
      if (match === undefined || q.limit <= 0) return [];
      // the time range as a range of ids (ids grow with time); the exact times are checked
      // on each row
      let lowId = 0, highId = Number.MAX_SAFE_INTEGER;
      if (q.before !== undefined) {
        const r = this.#stmt(
          "SELECT id FROM history WHERE time <= ? ORDER BY time DESC, id DESC LIMIT 1",
        ).get(q.before) as { id: number } | undefined;
        if (!r) return [];
        highId = r.id;
      }
      if (q.after !== undefined) {
        const r = this.#stmt(
          "SELECT id FROM history WHERE time >= ? ORDER BY time ASC, id ASC LIMIT 1",
        ).get(q.after) as { id: number } | undefined;
        if (!r) return [];
        lowId = r.id;
      }
      // newest first off the index, stopping at `limit` visible rows. (FTS5 reads a rowid
      // bound downwards by walking the newer matches: a `before` deep in a million rows
      // costs tens of ms, see bench/search_queries.ts; without one, a couple of ms.)
      const rows = this.#stmt(
        `SELECT h.* FROM history_fts f CROSS JOIN history h ON h.id = f.rowid
         WHERE history_fts MATCH ? AND f.rowid >= ? AND f.rowid <= ?
         ORDER BY f.rowid DESC LIMIT ?`,
      ).iterate(match, lowId, highId, SEARCH_SCAN) as Iterable<HistoryRow>;
      const out: HistoryMessage[] = [];
      for (const r of rows) {
        if (!searchVisible(q, r.target, r.time)) continue;
        out.push(toMessage(r));
        if (out.length >= q.limit) break;
      }
      return out.reverse();
    });
  }

  addUpload(u: UploadRecord): Promise<void> {
    return Promise.try(() => {
      this.#stmt(
        `INSERT INTO uploads (id, account, size, name, content_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(u.id, u.account, u.size, u.name, u.contentType, u.createdAt);
    });
  }

  getUpload(id: string): Promise<UploadRecord | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT * FROM uploads WHERE id = ?").get(id) as
        | Record<string, string | number>
        | undefined;
      return r
        ? {
          id: r.id as string,
          account: r.account as string,
          size: r.size as number,
          name: r.name as string,
          contentType: r.content_type as string,
          createdAt: r.created_at as number,
        }
        : undefined;
    });
  }

  uploadBytes(account: string): Promise<number> {
    return Promise.try(() =>
      (this.#stmt("SELECT coalesce(sum(size), 0) AS n FROM uploads WHERE account = ?").get(
        account,
      ) as { n: number }).n
    );
  }

  getMessage(msgid: string): Promise<HistoryMessage | undefined> {
    return Promise.try(() => {
      // a message still waiting for its batch's commit counts as stored
      const pending = this.#pending.find((p) => p.message.msgid === msgid);
      if (pending) return { ...pending.message };
      const r = this.#stmt("SELECT * FROM history WHERE msgid = ?").get(msgid) as
        | HistoryRow
        | undefined;
      return r ? toMessage(r) : undefined;
    });
  }

  deleteMessage(msgid: string): Promise<boolean> {
    return Promise.try(() => {
      // an append of this turn goes in first, so it cannot come back after its deletion
      if (this.#pending.some((p) => p.message.msgid === msgid)) this.#flush();
      const row = this.#stmt("SELECT id, target FROM history WHERE msgid = ?").get(msgid) as
        | { id: number; target: string }
        | undefined;
      if (!row) return false;
      // as prune does: a private conversation left empty loses its two sides too
      this.#drop([row]);
      return true;
    });
  }

  getReadMarker(account: string, target: string): Promise<number | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT time FROM read_markers WHERE account = ? AND target = ?")
        .get(account, target) as { time: number } | undefined;
      return r?.time;
    });
  }

  setReadMarker(account: string, target: string, time: number): Promise<number> {
    return Promise.try(() => {
      const r = this.#stmt(
        `INSERT INTO read_markers (account, target, time) VALUES (?, ?, ?)
         ON CONFLICT (account, target) DO UPDATE SET time = max(time, excluded.time)
         RETURNING time`,
      ).get(account, target, time) as { time: number };
      return r.time;
    });
  }

  getMetadata(owner: string): Promise<Record<string, string>> {
    return Promise.try(() => {
      const rows = this.#stmt("SELECT key, value FROM metadata WHERE owner = ? ORDER BY key")
        .all(owner) as { key: string; value: string }[];
      return Object.fromEntries(rows.map((r) => [r.key, r.value]));
    });
  }

  setMetadata(owner: string, key: string, value: string | undefined): Promise<void> {
    return Promise.try(() => {
      if (value === undefined) {
        this.#stmt("DELETE FROM metadata WHERE owner = ? AND key = ?").run(owner, key);
        return;
      }
      this.#stmt(
        `INSERT INTO metadata (owner, key, value) VALUES (?, ?, ?)
         ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
      ).run(owner, key, value);
    });
  }

  clearMetadata(owner: string): Promise<void> {
    return Promise.try(() => {
      this.#stmt("DELETE FROM metadata WHERE owner = ?").run(owner);
    });
  }

  /**
   * Prunes in steps of at most {@link PRUNE_STEP} rows, each its own transaction, with a
   * turn of the event loop between them: a million expired rows must not stop the chat.
   */
  async prune(maxAgeMs: number, maxPerTarget: number): Promise<void> {
    const cutoff = Date.now() - maxAgeMs;
    for (;;) {
      if (this.#closed) return;
      const old = this.#stmt("SELECT id, target FROM history WHERE time < ? LIMIT ?").all(
        cutoff,
        PRUNE_STEP,
      ) as { id: number; target: string }[];
      if (old.length === 0) break;
      this.#drop(old);
      await nextTurn();
    }
    // each conversation in key order (one seek to the next on history_target_time); its
    // newest `maxPerTarget` counted in walks of PRUNE_WALK entries, the older ones dropped
    let target = "";
    let slice = performance.now();
    const breathe = async () => {
      if (performance.now() - slice < PRUNE_SLICE_MS) return;
      await nextTurn();
      slice = performance.now();
    };
    for (;;) {
      if (this.#closed) return;
      const next = this.#stmt(
        "SELECT target FROM history WHERE target > ? ORDER BY target LIMIT 1",
      ).get(target) as { target: string } | undefined;
      if (!next) break;
      target = next.target;
      let bound: [number, number] = [MAX_TIME, MAX_ID];
      let kept = 0;
      while (kept < maxPerTarget) {
        const step = Math.min(PRUNE_WALK, maxPerTarget - kept);
        const r = this.#stmt(
          `SELECT time, id FROM history WHERE target = ? AND (time, id) < (?, ?)
           ORDER BY time DESC, id DESC LIMIT 1 OFFSET ?`,
        ).get(target, bound[0], bound[1], step - 1) as { time: number; id: number } | undefined;
        if (!r) break;
        bound = [r.time, r.id];
        kept += step;
        await breathe();
        if (this.#closed) return;
      }
      if (kept < maxPerTarget) {
        await breathe();
        continue;
      }
      for (;;) {
        const old = this.#stmt(
          `SELECT id, target FROM history WHERE target = ? AND (time, id) < (?, ?)
           ORDER BY time ASC, id ASC LIMIT ?`,
        ).all(target, bound[0], bound[1], PRUNE_STEP) as { id: number; target: string }[];
        if (old.length === 0) break;
        this.#drop(old);
        await nextTurn();
        slice = performance.now();
        if (this.#closed) return;
      }
    }
    await this.#pruneFloors();
  }

  /**
   * Drops the history floors of channels with no history left, in steps by name (each a
   * seek on the primary key and one on history_target_time per floor), like the rest.
   */
  async #pruneFloors(): Promise<void> {
    let after = "";
    for (;;) {
      if (this.#closed) return;
      const names = this.#stmt(
        "SELECT folded FROM history_floors WHERE folded > ? ORDER BY folded LIMIT ?",
      ).all(after, PRUNE_STEP) as { folded: string }[];
      if (names.length === 0) return;
      after = names[names.length - 1].folded;
      for (const { folded } of names) {
        if (this.#stmt("SELECT 1 FROM history WHERE target = ? LIMIT 1").get(folded)) continue;
        this.#stmt("DELETE FROM history_floors WHERE folded = ?").run(folded);
      }
      await nextTurn();
    }
  }

  getHistoryFloor(folded: string): Promise<number | undefined> {
    return Promise.try(() => {
      const r = this.#stmt("SELECT floor FROM history_floors WHERE folded = ?").get(folded) as
        | { floor: number }
        | undefined;
      return r?.floor;
    });
  }

  setHistoryFloors(floors: readonly HistoryFloor[]): Promise<void> {
    return Promise.try(() => {
      if (floors.length === 0) return;
      const set = this.#stmt(
        `INSERT INTO history_floors (folded, floor) VALUES (?, ?)
         ON CONFLICT (folded) DO UPDATE SET floor = excluded.floor`,
      );
      const unset = this.#stmt("DELETE FROM history_floors WHERE folded = ?");
      this.#db.exec("BEGIN");
      try {
        for (const [folded, time] of floors) {
          if (time === undefined) unset.run(folded);
          else set.run(folded, time);
        }
        this.#db.exec("COMMIT");
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  /** Deletes history rows; a private conversation left empty loses its two sides too. */
  #drop(rows: { id: number; target: string }[]): void {
    const targets = new Set(rows.map((r) => r.target));
    this.#db.exec("BEGIN");
    try {
      this.#stmt("DELETE FROM history WHERE id IN (SELECT value FROM json_each(?))").run(
        JSON.stringify(rows.map((r) => r.id)),
      );
      for (const target of targets) {
        const parties = dmParties(target);
        if (!parties) continue;
        if (this.#stmt("SELECT 1 FROM history WHERE target = ? LIMIT 1").get(target)) continue;
        for (const party of parties) {
          this.#stmt("DELETE FROM conversation_parties WHERE party = ? AND target = ?").run(
            party,
            target,
          );
        }
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /**
   * SQLite's query plan of every statement `run` made through this store, one line per step
   * (e.g. `SEARCH history USING INDEX history_target_time (target=? AND time<?)`). For tests
   * that hold each query to an index.
   */
  async explain(run: () => Promise<unknown>): Promise<{ sql: string; plan: string[] }[]> {
    this.#seen = new Set();
    try {
      await run();
      return [...this.#seen].map((sql) => ({
        sql,
        plan: (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail),
      }));
    } finally {
      this.#seen = undefined;
    }
  }

  close(): Promise<void> {
    return Promise.try(() => {
      if (this.#closed) return;
      this.#flush();
      clearTimeout(this.#indexTimer);
      this.#indexTimer = undefined;
      this.#indexNew(Number.MAX_SAFE_INTEGER);
      this.#closed = true;
      this.#db.close();
    });
  }
}
