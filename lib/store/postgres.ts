/**
 * The PostgreSQL {@link ChatStore}, for a server (or several server nodes) that keeps its
 * accounts, registered channels, K-lines and history in a PostgreSQL database. Built on
 * `npm:postgres` (porsager): a small pool, prepared statements, reconnects by itself.
 *
 * Message appends are batched as with SQLite: every append made in one turn of the event loop
 * goes into one multi-row INSERT, and each append's promise resolves once that statement has
 * committed. An append is idempotent by msgid (`ON CONFLICT DO NOTHING`), so a writer that
 * retries after a dropped connection never stores a message twice.
 *
 * When the database cannot be reached (refused, reset, timed out), the store says so once on
 * stderr, {@link PostgresStore.available} turns false and every request fails at once with
 * {@link StoreUnavailableError} instead of waiting for a connection; a probe (`SELECT 1`)
 * every second finds the database back.
 *
 * @module
 */

import postgres from "postgres";
import { PG_MIGRATIONS } from "./postgres_migrations.ts";
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
  StoreUnavailableError,
  type TargetScope,
  type UploadRecord,
} from "./store.ts";
import { dmParties, TARGETS_SCAN } from "./store.ts";
import { storedCommand, StoreOpenError } from "./sqlite.ts";

type Sql = postgres.Sql<Record<string, never>>;

interface HistoryRow {
  id: string;
  msgid: string;
  time: string;
  target: string;
  raw_target: string;
  source: string;
  account: string | null;
  command: string;
  text: string;
  tags: Record<string, string> | null;
  multiline: number[] | null;
}

interface Pending {
  message: HistoryMessage;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The methods that are not requests to the database. */
const UNGUARDED: ReadonlySet<PropertyKey> = new Set(["available", "close", "constructor"]);

/** How often a database that went away is asked whether it is back. */
const PROBE_MS = 1000;

/** Error codes of the driver and the network that mean "cannot reach the database". */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Whether an error says the database cannot be reached (the network, or a server shutting
 * down or starting: SQLSTATE classes 08 and 57P), rather than that a request was bad.
 */
function unreachable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return UNREACHABLE_CODES.has(code) || code.startsWith("08") || code.startsWith("57P");
}

/** Most rows one INSERT carries: PostgreSQL allows 65,535 parameters, a row takes 10. */
const MAX_BATCH_ROWS = 5000;

function toMessage(r: HistoryRow): HistoryMessage {
  return {
    msgid: r.msgid,
    time: Number(r.time),
    target: r.target,
    rawTarget: r.raw_target,
    source: r.source,
    account: r.account ?? undefined,
    command: storedCommand(r.command),
    text: r.text,
    tags: r.tags ?? undefined,
    ...(r.multiline ? { multiline: r.multiline } : {}),
  };
}

/** How to reach the database. */
export interface PostgresOptions {
  /** `postgres://user@host:port/db`; a password in it is used, but prefer `password`. */
  url: string;
  /** The password, read from a file or an environment variable by the caller. */
  password?: string;
  /** Connections in the pool (default 4). */
  max?: number;
  /** Seconds to wait for a connection before a query fails (default 10). */
  connectTimeout?: number;
}

/**
 * The PostgreSQL store.
 *
 * @example
 * ```ts ignore
 * const store = await PostgresStore.open({ url: "postgres://chat@127.0.0.1:5432/chat" });
 * await store.countAccounts();
 * await store.close();
 * ```
 */
export class PostgresStore implements ChatStore {
  readonly kind = "postgres" as const;
  readonly #sql: Sql;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #closed = false;
  /** The flush under way, so close() can wait for it. */
  #flushing: Promise<void> = Promise.resolve();
  #up = true;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** False while the database cannot be reached (see the module's notes). */
  available(): boolean {
    return this.#up;
  }

  /**
   * The store as the server gets it: every request goes through {@link PostgresStore.#call},
   * which fails at once while the database is away and notices when it goes away.
   */
  static #guarded(store: PostgresStore): PostgresStore {
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        let w = wrapped.get(prop);
        if (w === undefined) {
          const fn = value as (...args: unknown[]) => unknown;
          w = UNGUARDED.has(prop)
            ? fn.bind(target)
            : (...args: unknown[]) => target.#call(fn, args);
          wrapped.set(prop, w);
        }
        return w;
      },
    });
  }

  #call(fn: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> {
    if (!this.#up) return Promise.reject(new StoreUnavailableError());
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(fn.apply(this, args));
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.catch((err) => {
      if (!unreachable(err)) throw err;
      this.#down(err);
      throw new StoreUnavailableError();
    });
  }

  /** The database stopped answering: say so once and probe until it is back. */
  #down(err: unknown): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    console.error(
      `store: PostgreSQL cannot be reached (${describe(err)}); retrying every second`,
    );
    const probe = async () => {
      this.#probeTimer = undefined;
      if (this.#closed) return;
      try {
        await this.#sql`SELECT 1`;
        this.#up = true;
        console.error("store: PostgreSQL answers again");
      } catch {
        if (!this.#closed) this.#probeTimer = setTimeout(probe, PROBE_MS);
      }
    };
    this.#probeTimer = setTimeout(probe, PROBE_MS);
  }

  /**
   * Connects, checks the database answers and applies the migrations it has not seen.
   * Throws {@link StoreOpenError} with one clear sentence when it cannot.
   */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const sql = postgres(options.url, {
      max: options.max ?? 4,
      password: options.password,
      connect_timeout: options.connectTimeout ?? 10,
      // notices (e.g. "relation already exists, skipping") are not the operator's business
      onnotice: () => {},
      // bigint counts and ids come back as strings; the store converts what it reads
      types: {},
    }) as unknown as Sql;
    try {
      await migrate(sql);
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw new StoreOpenError(`cannot use the database ${redact(options.url)}: ${describe(err)}`);
    }
    return PostgresStore.#guarded(new PostgresStore(sql));
  }

  async getAccount(folded: string): Promise<AccountRecord | undefined> {
    const [r] = await this.#sql<
      {
        folded: string;
        name: string;
        password_hash: string;
        email: string | null;
        created_at: string;
        oper: boolean;
      }[]
    >`SELECT * FROM accounts WHERE folded = ${folded}`;
    if (!r) return undefined;
    return {
      folded: r.folded,
      name: r.name,
      passwordHash: r.password_hash,
      email: r.email ?? undefined,
      createdAt: Number(r.created_at),
      oper: r.oper,
    };
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    const r = await this.#sql`
      INSERT INTO accounts (folded, name, password_hash, email, created_at, oper)
      VALUES (${a.folded}, ${a.name}, ${a.passwordHash}, ${a.email ?? null}, ${a.createdAt},
              ${a.oper})
      ON CONFLICT (folded) DO NOTHING`;
    return r.count === 1;
  }

  async setAccountPassword(folded: string, passwordHash: string): Promise<void> {
    await this.#sql`UPDATE accounts SET password_hash = ${passwordHash} WHERE folded = ${folded}`;
  }

  async setAccountOper(folded: string, oper: boolean): Promise<void> {
    await this.#sql`UPDATE accounts SET oper = ${oper} WHERE folded = ${folded}`;
  }

  async countAccounts(): Promise<number> {
    const [r] = await this.#sql<{ n: string }[]>`SELECT count(*) AS n FROM accounts`;
    return Number(r.n);
  }

  async getAlwaysOn(folded: string): Promise<AlwaysOnState | undefined> {
    const [r] = await this.#sql<{ always_on: AlwaysOnState | null }[]>`
      SELECT always_on FROM accounts WHERE folded = ${folded}`;
    return r?.always_on ?? undefined;
  }

  async setAlwaysOn(folded: string, state: AlwaysOnState | undefined): Promise<void> {
    const value = state === undefined ? null : this.#sql.json(JSON.parse(JSON.stringify(state)));
    await this.#sql`UPDATE accounts SET always_on = ${value} WHERE folded = ${folded}`;
  }

  async listAlwaysOn(): Promise<AlwaysOnEntry[]> {
    const rows = await this.#sql<{ folded: string; name: string; always_on: AlwaysOnState }[]>`
      SELECT folded, name, always_on FROM accounts WHERE always_on IS NOT NULL
      ORDER BY folded`;
    return rows.map((r) => ({ folded: r.folded, name: r.name, state: r.always_on }));
  }

  async getChannel(folded: string): Promise<ChannelRecord | undefined> {
    const [r] = await this.#sql<{ state: ChannelRecord }[]>`
      SELECT state FROM channels WHERE folded = ${folded}`;
    return r?.state;
  }

  async saveChannel(c: ChannelRecord): Promise<void> {
    // through JSON so the stored document is exactly what SQLite keeps (no undefined keys)
    const state = JSON.parse(JSON.stringify(c));
    await this.#sql`
      INSERT INTO channels (folded, name, founder, registered_at, state)
      VALUES (${c.folded}, ${c.name}, ${c.founder}, ${c.registeredAt}, ${this.#sql.json(state)})
      ON CONFLICT (folded) DO UPDATE SET name = excluded.name, founder = excluded.founder,
        state = excluded.state`;
  }

  async deleteChannel(folded: string): Promise<void> {
    await this.#sql`DELETE FROM channels WHERE folded = ${folded}`;
  }

  async listKlines(): Promise<KlineRecord[]> {
    const rows = await this.#sql<
      { mask: string; reason: string; set_by: string; set_at: string; expires_at: string | null }[]
    >`SELECT * FROM klines ORDER BY set_at, mask`;
    return rows.map((r) => ({
      mask: r.mask,
      reason: r.reason,
      setBy: r.set_by,
      setAt: Number(r.set_at),
      expiresAt: r.expires_at === null ? undefined : Number(r.expires_at),
    }));
  }

  async addKline(k: KlineRecord): Promise<void> {
    await this.#sql`
      INSERT INTO klines (mask, reason, set_by, set_at, expires_at)
      VALUES (${k.mask}, ${k.reason}, ${k.setBy}, ${k.setAt}, ${k.expiresAt ?? null})
      ON CONFLICT (mask) DO UPDATE SET reason = excluded.reason, set_by = excluded.set_by,
        set_at = excluded.set_at, expires_at = excluded.expires_at`;
  }

  async removeKline(mask: string): Promise<boolean> {
    const r = await this.#sql`DELETE FROM klines WHERE mask = ${mask}`;
    return r.count > 0;
  }

  appendMessage(message: HistoryMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the store is closed"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // every append of this turn shares one INSERT, as in the SQLite store
        queueMicrotask(() => {
          this.#flushing = this.#flush();
        });
      }
    });
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (let i = 0; i < batch.length; i += MAX_BATCH_ROWS) {
      const part = batch.slice(i, i + MAX_BATCH_ROWS);
      const rows = part.map(({ message: m }) => ({
        msgid: m.msgid,
        time: m.time,
        target: m.target,
        raw_target: m.rawTarget,
        source: m.source,
        account: m.account ?? null,
        command: m.command,
        text: m.text,
        tags: m.tags ? this.#sql.json(m.tags) : null,
        multiline: m.multiline ? this.#sql.json(m.multiline) : null,
      }));
      const sides = new Map<string, [string, string]>();
      for (const { message: m } of part) {
        const parties = dmParties(m.target);
        if (parties) sides.set(m.target, parties);
      }
      try {
        if (sides.size > 0) {
          const pairs = [...sides].flatMap(([target, [a, b]]) => [
            { party: a, target },
            { party: b, target },
          ]);
          await this.#sql`
            INSERT INTO conversation_parties ${this.#sql(pairs, "party", "target")}
            ON CONFLICT DO NOTHING`;
        }
        await this.#sql`
          INSERT INTO history ${
          this.#sql(
            rows,
            "msgid",
            "time",
            "target",
            "raw_target",
            "source",
            "account",
            "command",
            "text",
            "tags",
            "multiline",
          )
        }
          ON CONFLICT (msgid) DO NOTHING`;
      } catch (err) {
        for (const p of part) p.reject(err as Error);
        continue;
      }
      for (const p of part) p.resolve();
    }
  }

  async #idOf(bound: HistoryBound): Promise<string | undefined> {
    if (!bound.msgid) return undefined;
    const [r] = await this.#sql<{ id: string }[]>`
      SELECT id FROM history WHERE msgid = ${bound.msgid}`;
    return r?.id;
  }

  async latest(target: string, limit: number, after?: HistoryBound): Promise<HistoryMessage[]> {
    const sql = this.#sql;
    if (!after) {
      const rows = await sql<HistoryRow[]>`
        SELECT * FROM history WHERE target = ${target} ORDER BY time DESC, id DESC LIMIT ${limit}`;
      return rows.map(toMessage).reverse();
    }
    const id = await this.#idOf(after);
    const rows = id !== undefined
      ? await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND id > ${id}
          ORDER BY id DESC LIMIT ${limit}`
      : await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND time > ${after.time}
          ORDER BY time DESC, id DESC LIMIT ${limit}`;
    return rows.map(toMessage).reverse();
  }

  async before(target: string, bound: HistoryBound, limit: number): Promise<HistoryMessage[]> {
    const sql = this.#sql;
    const id = await this.#idOf(bound);
    const rows = id !== undefined
      ? await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND id < ${id}
          ORDER BY id DESC LIMIT ${limit}`
      : await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND time < ${bound.time}
          ORDER BY time DESC, id DESC LIMIT ${limit}`;
    return rows.map(toMessage).reverse();
  }

  async after(
    target: string,
    bound: HistoryBound,
    limit: number,
    inclusive = false,
  ): Promise<HistoryMessage[]> {
    const sql = this.#sql;
    const id = await this.#idOf(bound);
    const rows = id !== undefined
      ? (inclusive
        ? await sql<HistoryRow[]>`
            SELECT * FROM history WHERE target = ${target} AND id >= ${id}
            ORDER BY id ASC LIMIT ${limit}`
        : await sql<HistoryRow[]>`
            SELECT * FROM history WHERE target = ${target} AND id > ${id}
            ORDER BY id ASC LIMIT ${limit}`)
      : (inclusive
        ? await sql<HistoryRow[]>`
            SELECT * FROM history WHERE target = ${target} AND time >= ${bound.time}
            ORDER BY time ASC, id ASC LIMIT ${limit}`
        : await sql<HistoryRow[]>`
            SELECT * FROM history WHERE target = ${target} AND time > ${bound.time}
            ORDER BY time ASC, id ASC LIMIT ${limit}`);
    return rows.map(toMessage);
  }

  async between(
    target: string,
    low: HistoryBound,
    high: HistoryBound,
    limit: number,
    fromHigh: boolean,
  ): Promise<HistoryMessage[]> {
    const sql = this.#sql;
    const [lowId, highId] = await Promise.all([this.#idOf(low), this.#idOf(high)]);
    const lowCond = lowId !== undefined ? sql`id > ${lowId}` : sql`time > ${low.time}`;
    const highCond = highId !== undefined ? sql`id < ${highId}` : sql`time < ${high.time}`;
    const rows = fromHigh
      ? await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND ${lowCond} AND ${highCond}
          ORDER BY time DESC, id DESC LIMIT ${limit}`
      : await sql<HistoryRow[]>`
          SELECT * FROM history WHERE target = ${target} AND ${lowCond} AND ${highCond}
          ORDER BY time ASC, id ASC LIMIT ${limit}`;
    const messages = rows.map(toMessage);
    return fromHigh ? messages.reverse() : messages;
  }

  async targets(
    from: number,
    to: number,
    limit: number,
    scope: TargetScope,
  ): Promise<HistoryTarget[]> {
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    const keys = scope.keys.slice(0, TARGETS_SCAN);
    // the caller's channels and private conversations, each with one index seek for its
    // latest message in the range
    const rows = await this.#sql<{ target: string; latest: string; raw_target: string }[]>`
      SELECT k.target, h.time AS latest, h.raw_target
      FROM (
        SELECT unnest(${keys}::text[]) AS target
        UNION
        (SELECT target FROM conversation_parties WHERE party = ${scope.party} LIMIT ${TARGETS_SCAN})
      ) k
      CROSS JOIN LATERAL (
        SELECT time, raw_target FROM history
        WHERE target = k.target AND time >= ${lo} AND time <= ${hi}
        ORDER BY time DESC, id DESC LIMIT 1
      ) h
      ORDER BY h.time DESC LIMIT ${limit}`;
    return rows.map((r) => ({
      target: r.target,
      rawTarget: r.raw_target,
      latest: Number(r.latest),
    }));
  }

  async findMessage(msgid: string): Promise<HistoryBound | undefined> {
    const [r] = await this.#sql<{ time: string }[]>`
      SELECT time FROM history WHERE msgid = ${msgid}`;
    return r ? { time: Number(r.time), msgid } : undefined;
  }

  async search(q: SearchQuery): Promise<HistoryMessage[]> {
    // the words as searchWords finds them, accents kept: the 'simple' configuration keeps
    // them in the index too
    const words = q.text?.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
    if ((q.text !== undefined && words.length === 0) || q.limit <= 0) return [];
    const keys = [...q.keys.keys()];
    const floors = [...q.keys.values()].map((f) => Math.max(f, Number.MIN_SAFE_INTEGER));
    const party = q.party ?? null;
    const tsquery = words.length > 0 ? words.join(" ") : null;
    const sql = this.#sql;
    // conditions only where given, so the planner sees the GIN index's expression bare
    const textCond = tsquery === null
      ? sql``
      : sql`AND to_tsvector('simple', text) @@ plainto_tsquery('simple', ${tsquery})`;
    // the nick casefolded as lib/protocol/casemap.ts does
    const fromCond = q.from === undefined
      ? sql``
      : sql`AND translate(lower(split_part(source, '!', 1)), '[]\\^', '{}|~') = ${q.from}`;
    const partyCond = party === null ? sql`` : sql`OR starts_with(target, ${`dm:${party} `})
      OR right(target, ${party.length + 1}) = ${` ${party}`}`;
    // the candidates (conversations, words, sender, times) bounded by SEARCH_SCAN, then the
    // channel floors
    const rows = await sql<HistoryRow[]>`
      WITH scope AS (
        SELECT * FROM unnest(${keys}::text[], ${floors}::bigint[]) AS s (key, floor)
      )
      SELECT c.* FROM (
        SELECT id, msgid, time, target, raw_target, source, account, command, text, tags
        FROM history
        WHERE (target IN (SELECT key FROM scope) ${partyCond})
          ${textCond} ${fromCond}
          AND time >= ${q.after ?? Number.MIN_SAFE_INTEGER}
          AND time <= ${q.before ?? Number.MAX_SAFE_INTEGER}
        ORDER BY id DESC LIMIT ${SEARCH_SCAN}
      ) c
      WHERE NOT EXISTS (SELECT 1 FROM scope WHERE scope.key = c.target AND c.time < scope.floor)
      ORDER BY c.id DESC LIMIT ${q.limit}`;
    return rows.map(toMessage).reverse();
  }

  async addUpload(u: UploadRecord): Promise<void> {
    await this.#sql`
      INSERT INTO uploads (id, account, size, name, content_type, created_at)
      VALUES (${u.id}, ${u.account}, ${u.size}, ${u.name}, ${u.contentType}, ${u.createdAt})`;
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const [r] = await this.#sql<
      {
        id: string;
        account: string;
        size: string;
        name: string;
        content_type: string;
        created_at: string;
      }[]
    >`SELECT * FROM uploads WHERE id = ${id}`;
    return r
      ? {
        id: r.id,
        account: r.account,
        size: Number(r.size),
        name: r.name,
        contentType: r.content_type,
        createdAt: Number(r.created_at),
      }
      : undefined;
  }

  async uploadBytes(account: string): Promise<number> {
    const [r] = await this.#sql<{ n: string }[]>`
      SELECT coalesce(sum(size), 0) AS n FROM uploads WHERE account = ${account}`;
    return Number(r.n);
  }

  async getMessage(msgid: string): Promise<HistoryMessage | undefined> {
    const pending = this.#pending.find((p) => p.message.msgid === msgid);
    if (pending) return { ...pending.message };
    // an INSERT under way may hold it: wait for the flush (it settles, whatever happened)
    await this.#flushing;
    const [r] = await this.#sql<HistoryRow[]>`SELECT * FROM history WHERE msgid = ${msgid}`;
    return r ? toMessage(r) : undefined;
  }

  async deleteMessage(msgid: string): Promise<boolean> {
    // an append not yet written goes in first, so it cannot land after its deletion
    if (this.#pending.some((p) => p.message.msgid === msgid)) {
      await new Promise<void>((r) => queueMicrotask(r));
    }
    await this.#flushing;
    const [r] = await this.#sql<{ target: string }[]>`
      DELETE FROM history WHERE msgid = ${msgid} RETURNING target`;
    if (!r) return false;
    // as prune does: the sides of a conversation that is gone
    await this.#sql`
      DELETE FROM conversation_parties p WHERE p.target = ${r.target}
        AND NOT EXISTS (SELECT 1 FROM history h WHERE h.target = p.target)`;
    return true;
  }

  async getReadMarker(account: string, target: string): Promise<number | undefined> {
    const [r] = await this.#sql<{ time: string }[]>`
      SELECT time FROM read_markers WHERE account = ${account} AND target = ${target}`;
    return r ? Number(r.time) : undefined;
  }

  async setReadMarker(account: string, target: string, time: number): Promise<number> {
    const [r] = await this.#sql<{ time: string }[]>`
      INSERT INTO read_markers (account, target, time) VALUES (${account}, ${target}, ${time})
      ON CONFLICT (account, target)
        DO UPDATE SET time = GREATEST(read_markers.time, excluded.time)
      RETURNING time`;
    return Number(r.time);
  }

  async getMetadata(owner: string): Promise<Record<string, string>> {
    const rows = await this.#sql<{ key: string; value: string }[]>`
      SELECT key, value FROM metadata WHERE owner = ${owner} ORDER BY key`;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async setMetadata(owner: string, key: string, value: string | undefined): Promise<void> {
    if (value === undefined) {
      await this.#sql`DELETE FROM metadata WHERE owner = ${owner} AND key = ${key}`;
      return;
    }
    await this.#sql`
      INSERT INTO metadata (owner, key, value) VALUES (${owner}, ${key}, ${value})
      ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`;
  }

  async clearMetadata(owner: string): Promise<void> {
    await this.#sql`DELETE FROM metadata WHERE owner = ${owner}`;
  }

  async prune(maxAgeMs: number, maxPerTarget: number): Promise<void> {
    await this.#sql`DELETE FROM history WHERE time < ${Date.now() - maxAgeMs}`;
    await this.#sql`
      DELETE FROM history WHERE id IN (
        SELECT id FROM (
          SELECT id, row_number() OVER (PARTITION BY target ORDER BY id DESC) AS n FROM history
        ) ranked WHERE n > ${maxPerTarget})`;
    // the sides of conversations that are gone, so TARGETS never seeks them
    await this.#sql`
      DELETE FROM conversation_parties p
      WHERE NOT EXISTS (SELECT 1 FROM history h WHERE h.target = p.target)`;
    await this.#sql`
      DELETE FROM history_floors f
      WHERE NOT EXISTS (SELECT 1 FROM history h WHERE h.target = f.folded)`;
  }

  async getHistoryFloor(folded: string): Promise<number | undefined> {
    const [r] = await this.#sql<{ floor: string }[]>`
      SELECT floor FROM history_floors WHERE folded = ${folded}`;
    return r ? Number(r.floor) : undefined;
  }

  async setHistoryFloors(floors: readonly HistoryFloor[]): Promise<void> {
    // the last value of a name counts; one INSERT cannot touch a row twice
    const last = new Map<string, number | undefined>(floors);
    const set = [...last].filter(([, t]) => t !== undefined)
      .map(([folded, floor]) => ({ folded, floor: floor! }));
    const unset = [...last].filter(([, t]) => t === undefined).map(([folded]) => folded);
    if (set.length === 0 && unset.length === 0) return;
    await this.#sql.begin(async (tx) => {
      for (let i = 0; i < unset.length; i += MAX_BATCH_ROWS) {
        const names = unset.slice(i, i + MAX_BATCH_ROWS);
        await tx`DELETE FROM history_floors WHERE folded IN ${tx(names)}`;
      }
      for (let i = 0; i < set.length; i += MAX_BATCH_ROWS) {
        await tx`
          INSERT INTO history_floors ${tx(set.slice(i, i + MAX_BATCH_ROWS), "folded", "floor")}
          ON CONFLICT (folded) DO UPDATE SET floor = excluded.floor`;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#probeTimer);
    // what was appended this turn still goes out before the pool closes
    if (this.#flushScheduled) await new Promise<void>((r) => queueMicrotask(r));
    await this.#flushing;
    await this.#sql.end({ timeout: 5 });
  }
}

/**
 * Applies the migrations the database has not seen, under an advisory lock so that several
 * nodes starting together migrate once. Refuses a database from a newer deno-chat.
 */
async function migrate(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    // any fixed number: every deno-chat node takes the same lock
    await tx`SELECT pg_advisory_xact_lock(7414562)`;
    await tx`CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`;
    const [row] = await tx<{ version: number }[]>`SELECT version FROM schema_version`;
    const current = row?.version ?? 0;
    const newest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;
    if (current > newest) {
      throw new Error(
        `the database is from a newer deno-chat (schema ${current}, this one knows ${newest})`,
      );
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
    }
    if (!row) await tx`INSERT INTO schema_version (version) VALUES (${newest})`;
    else if (current < newest) await tx`UPDATE schema_version SET version = ${newest}`;
  });
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an invalid URL)";
  }
}

/** One line for an error from the driver or the network. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === "ECONNREFUSED") return "nothing answers at that address (is PostgreSQL running?)";
  if (e.code === "28P01" || e.code === "28000") return "the user name or password was refused";
  if (e.code === "3D000") return "that database does not exist (create it with createdb)";
  return e.message ?? String(err);
}
