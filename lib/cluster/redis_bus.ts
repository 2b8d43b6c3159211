/**
 * The bus between server nodes, on Redis Streams: a fixed number of stream shards; each node
 * appends its events to a shard (a channel's to the channel's shard, a user's to the user's)
 * and reads every shard with a blocking XREAD from its last id, so every node sees every
 * shard's events in the one order Redis gave them. Streams, not pub/sub: a reader whose
 * connection blips resumes from its last id and loses nothing.
 *
 * A node holds a lease (a key with a TTL, renewed every few seconds). When a peer's lease
 * has been gone for two checks, one survivor (won atomically) publishes its death and frees
 * its nicks; a node that cannot renew its own lease in time, or finds it taken, is fenced:
 * it must close its clients and come back as a new incarnation.
 *
 * @module
 */

import { createClient } from "redis";
import type { HistoryMessage } from "../store/store.ts";
import { CLAIM_NICK, DECLARE_DEAD, RELEASE_NICK, RENEW_LEASE } from "./scripts.ts";

/** One event on the bus. `t` is its type; `n` and `i` the node and incarnation it came from. */
export interface BusEvent {
  t: string;
  n: string;
  i: string;
  [field: string]: unknown;
}

/** An event as read from a shard, with its stream id. */
export interface BusEntry {
  shard: number;
  id: string;
  event: BusEvent;
}

/** What the bus tells the node it runs in. */
export interface BusHandlers {
  /** An event, in stream order per shard (the node's own events come back too). */
  onEntry(entry: BusEntry): void;
  /**
   * Entries of a shard were lost to this node (the stream was trimmed past its last id, or
   * Redis lost data): the node must rebuild its view of the network.
   */
  onGap(shard: number): void;
  /** This node lost its lease: close every client, then start again as a new incarnation. */
  onFenced(reason: string): void;
}

/** How the bus is set up. */
export interface BusOptions {
  /** `redis://host:port`. */
  url: string;
  /** This node's id: stable per data folder. */
  nodeId: string;
  /** Stream shards (default 8); every node of a cluster must use the same number. */
  shards?: number;
  /** Lease lifetime (default 10 s). */
  leaseMs?: number;
  /** Lease renewal interval (default 3 s). */
  renewMs?: number;
  /** Entries older than this are trimmed from the streams (default one hour). */
  retentionMs?: number;
  /** Key prefix (default `dc:`): several clusters can share one Redis. */
  prefix?: string;
}

/** Counters for /metrics. */
export interface BusStats {
  eventsIn: number;
  eventsOut: number;
  /** Milliseconds since the lease was last renewed. */
  leaseAgeMs: number;
  /** Peers (other nodes) currently known. */
  peers: number;
  /** Whether the reading connection is up. */
  connected: boolean;
  /** Connections to Redis found stuck (no answer, though ready) and replaced. */
  stuckConnections: number;
}

/** A nick claim that did not succeed. */
export class ClaimError extends Error {
  constructor(readonly code: "TAKEN" | "FENCED") {
    super(code === "TAKEN" ? "the nick is held on another node" : "this node is fenced");
  }
}

type Client = ReturnType<typeof createClient>;

/**
 * The Redis Streams bus of one node.
 *
 * @example
 * ```ts ignore
 * const bus = new RedisBus({ url: "redis://127.0.0.1:6379", nodeId: "a" }, handlers);
 * await bus.start();
 * await bus.publish(bus.shardOf("#lobby"), { t: "msg", text: "hi" });
 * await bus.stop();
 * ```
 */
export class RedisBus {
  readonly nodeId: string;
  readonly incarnation: string = crypto.randomUUID().slice(0, 8);
  readonly shards: number;
  readonly #opts: Required<BusOptions>;
  readonly #handlers: BusHandlers;
  #cmd: Client;
  readonly #clientOptions: Parameters<typeof createClient>[0];
  #reader: Client;
  readonly #streams: string[];
  readonly #lastIds: string[];
  #running = false;
  #readLoop: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #leaseRenewedAt = 0;
  #fenced = false;
  /** Peers by node id → incarnation, from the node table. */
  #peers = new Map<string, string>();
  /** Peers whose lease was missing at the last check, with when it was first seen missing. */
  #missing = new Map<string, number>();
  #connectedSince = 0;
  #eventsIn = 0;
  #eventsOut = 0;
  #tick: Promise<void> = Promise.resolve();
  #stuckConnections = 0;

  constructor(options: BusOptions, handlers: BusHandlers) {
    this.#opts = {
      shards: 8,
      leaseMs: 10_000,
      renewMs: 3_000,
      retentionMs: 3600_000,
      prefix: "dc:",
      ...options,
    };
    this.nodeId = options.nodeId;
    this.shards = this.#opts.shards;
    this.#handlers = handlers;
    // a broken connection is retried quickly and for ever: the node keeps serving its own
    // clients meanwhile, and the lease decides when it must give up
    const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1000);
    this.#clientOptions = {
      url: options.url,
      socket: { reconnectStrategy },
      // No CLIENT SETINFO at connect: node-redis ignores that command's errors, so a socket
      // that broke during it (Redis dying just as the client reconnected: EPIPE) was taken
      // as ready, and never reconnected again: every later command waited for ever. Redis
      // 7.0 does not know the command anyway.
      disableClientInfo: true,
    };
    this.#cmd = this.#newClient();
    this.#reader = this.#newReader();
    this.#streams = Array.from({ length: this.shards }, (_, i) => `${this.#opts.prefix}s:${i}`);
    this.#lastIds = this.#streams.map(() => "0-0");
  }

  #newClient(): Client {
    const client = createClient(this.#clientOptions);
    // errors surface on the commands that fail; the event only says the socket broke
    client.on("error", () => {});
    return client;
  }

  #newReader(): Client {
    const reader = this.#newClient();
    // every reconnect of the reader may follow a Redis restart that lost entries, whether or
    // not a read was in flight when it broke (one queued while offline runs without an error)
    reader.on("ready", () => {
      if (this.#running) this.#gapCheckDue = true;
    });
    return reader;
  }

  /**
   * The reader did not answer in time, although Redis answers a blocking read within its
   * timeout: its connection is stuck (say, a client that believes a dead socket is alive),
   * or Redis is away. Nothing else would notice the first, and the node would stop hearing
   * the cluster in silence, so the reader gets a new connection (which waits for Redis)
   * and checks for lost entries before reading on.
   */
  async #replaceReader(): Promise<void> {
    const stuck = this.#reader;
    this.#reader = this.#newReader();
    this.#gapCheckDue = true;
    if (stuck.isReady) this.#stuckConnections++;
    destroy(stuck);
    // connecting retries by itself until Redis answers; the read loop waits on the reader
    await this.#reader.connect().catch(() => {});
  }

  /**
   * The command connection, ready by its own account, did not answer a lease renewal in
   * time: like a stuck reader, it gets a new connection (its waiting commands fail, and
   * say so to whoever sent them) rather than let the lease run out on a live Redis.
   */
  #replaceCmd(): void {
    const stuck = this.#cmd;
    this.#cmd = this.#newClient();
    this.#stuckConnections++;
    destroy(stuck);
    // commands wait in the new client's queue until it is connected
    this.#cmd.connect().catch(() => {});
  }

  #key(name: string): string {
    return this.#opts.prefix + name;
  }

  /** The shard of a channel or user key (casefolded). */
  shardOf(key: string): number {
    // FNV-1a: cheap, stable across nodes and versions
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return (h >>> 0) % this.shards;
  }

  /** This incarnation's owner token prefix for nicks: `NODE/INC/`. */
  get ownerPrefix(): string {
    return `${this.nodeId}/${this.incarnation}/`;
  }

  /**
   * Connects, takes the lease, announces the node and starts reading every shard from its
   * current end (a node that must catch up on the past reads the snapshot first).
   */
  async start(): Promise<void> {
    await this.#cmd.connect();
    await this.#reader.connect();
    this.#connectedSince = Date.now();
    const lease = this.#key(`lease:${this.nodeId}`);
    // a restarted node takes its lease over from its previous incarnation at once
    await this.#cmd.set(lease, this.incarnation, { PX: this.#opts.leaseMs });
    this.#leaseRenewedAt = Date.now();
    const previous = await this.#cmd.hGet(this.#key("nodes"), this.nodeId);
    await this.#cmd.hSet(this.#key("nodes"), this.nodeId, this.incarnation);
    for (let s = 0; s < this.shards; s++) this.#lastIds[s] = await this.#streamEnd(s);
    this.#running = true;
    this.#readLoop = this.#read();
    // the previous incarnation's users are gone: say so now rather than after its lease
    if (previous && previous !== this.incarnation) await this.#declareDead(this.nodeId, previous);
    await this.#refreshPeers();
    this.#timer = setInterval(() => {
      // bounded: a command that never comes back must not hold up the next renewals
      this.#tick = this.#tick.then(() => deadline(this.#housekeeping(), this.#opts.renewMs))
        .then(() => {}, () => {});
    }, Math.min(this.#opts.renewMs, 1000));
  }

  /** The last id of a shard's stream ("0-0" when it does not exist yet). */
  async #streamEnd(shard: number): Promise<string> {
    try {
      const info = await this.#cmd.xInfoStream(this.#streams[shard]) as unknown as {
        "last-generated-id"?: string;
        lastGeneratedId?: string;
      };
      return info["last-generated-id"] ?? info.lastGeneratedId ?? "0-0";
    } catch {
      return "0-0";
    }
  }

  /** Appends an event to a shard; resolves with its stream id once Redis has it. */
  async publish(shard: number, event: Omit<BusEvent, "n" | "i">): Promise<string> {
    const full = { ...event, n: this.nodeId, i: this.incarnation };
    const id = await this.#cmd.xAdd(this.#streams[shard], "*", { e: JSON.stringify(full) }, {
      TRIM: { strategy: "MINID", strategyModifier: "~", threshold: Number(this.#minId()) },
    });
    this.#eventsOut++;
    return id;
  }

  /**
   * Appends an event to a shard and, in the same MULTI, a history record to the history
   * queue ({@link RedisBus.historyKey}, read by lib/cluster/history_queue.ts): for a message
   * the store could not take, so that whichever node writes history next finds it.
   */
  async publishWithHistory(
    shard: number,
    event: Omit<BusEvent, "n" | "i">,
    record: HistoryMessage,
  ): Promise<string> {
    const full = { ...event, n: this.nodeId, i: this.incarnation };
    const trim = {
      TRIM: {
        strategy: "MINID" as const,
        strategyModifier: "~" as const,
        threshold: Number(this.#minId()),
      },
    };
    const [id] = await this.#cmd.multi()
      .xAdd(this.#streams[shard], "*", { e: JSON.stringify(full) }, trim)
      .xAdd(this.historyKey, "*", { h: JSON.stringify(record) }, trim)
      .exec();
    this.#eventsOut++;
    return String(id);
  }

  /** The stream of history records waiting for the store (see lib/cluster/history_queue.ts). */
  get historyKey(): string {
    return this.#key("h");
  }

  /** Key prefix of this cluster's keys in Redis. */
  get prefix(): string {
    return this.#opts.prefix;
  }

  /** Retention of the streams (ms). */
  get retentionMs(): number {
    return this.#opts.retentionMs;
  }

  #minId(): string {
    return String(Date.now() - this.#opts.retentionMs);
  }

  /**
   * Claims `folded` for user `uid` of this node and publishes `event` in the same step
   * (releasing `oldFolded` when given). Throws {@link ClaimError} when another node holds the
   * nick or this node is fenced.
   */
  async claimNick(
    folded: string,
    uid: string,
    shard: number,
    event: Omit<BusEvent, "n" | "i">,
    oldFolded = "",
  ): Promise<string> {
    const full = { ...event, n: this.nodeId, i: this.incarnation };
    try {
      const id = await this.#cmd.eval(CLAIM_NICK, {
        keys: [
          this.#key("nicks"),
          this.#key(`lease:${this.nodeId}`),
          this.#streams[shard],
          this.#key(`owned:${this.nodeId}:${this.incarnation}`),
        ],
        arguments: [
          folded,
          this.ownerPrefix + uid,
          this.incarnation,
          oldFolded,
          JSON.stringify(full),
          this.#minId(),
        ],
      });
      this.#eventsOut++;
      return String(id);
    } catch (err) {
      const msg = (err as Error).message;
      if (msg.includes("TAKEN")) throw new ClaimError("TAKEN");
      if (msg.includes("FENCED")) throw new ClaimError("FENCED");
      throw err;
    }
  }

  /** Releases a nick this node's user holds and publishes `event` with it. */
  async releaseNick(
    folded: string,
    uid: string,
    shard: number,
    event: Omit<BusEvent, "n" | "i">,
  ): Promise<string> {
    const full = { ...event, n: this.nodeId, i: this.incarnation };
    try {
      const id = await this.#cmd.eval(RELEASE_NICK, {
        keys: [
          this.#key("nicks"),
          this.#key(`lease:${this.nodeId}`),
          this.#streams[shard],
          this.#key(`owned:${this.nodeId}:${this.incarnation}`),
        ],
        arguments: [
          folded,
          this.ownerPrefix + uid,
          this.incarnation,
          JSON.stringify(full),
          this.#minId(),
        ],
      });
      this.#eventsOut++;
      return String(id);
    } catch (err) {
      if ((err as Error).message.includes("FENCED")) throw new ClaimError("FENCED");
      throw err;
    }
  }

  /**
   * Resolves once this node has read every entry the streams held when it was called
   * (bounded: at most `ms`), so what another node published before is applied here.
   */
  async caughtUp(ms = 2000): Promise<void> {
    const ends = await Promise.all(this.#streams.map((_, s) => this.#streamEnd(s)));
    const deadline = Date.now() + ms;
    while (
      this.#running && Date.now() < deadline &&
      ends.some((end, s) => compareIds(this.#lastIds[s], end) < 0)
    ) await new Promise((r) => setTimeout(r, 5));
  }

  /** Who holds a nick network-wide (`NODE/INC/UID`), if anyone. */
  async nickOwner(folded: string): Promise<string | undefined> {
    return (await this.#cmd.hGet(this.#key("nicks"), folded)) ?? undefined;
  }

  async #read(): Promise<void> {
    while (this.#running) {
      if (this.#gapCheckDue && this.#reader.isReady) {
        const checked = await deadline(this.#checkGaps(), STUCK_MS).catch(() => true);
        if (checked === STUCK && this.#running) await this.#replaceReader();
      }
      let res: unknown;
      try {
        res = await deadline(
          this.#reader.xRead(
            this.#streams.map((key, s) => ({ key, id: this.#lastIds[s] })),
            { BLOCK: READ_BLOCK_MS, COUNT: 1000 },
          ),
          // also a read queued while Redis is away: a fresh reader waits for Redis the same
          READ_BLOCK_MS + STUCK_MS,
        );
        if (res === STUCK) {
          if (!this.#running) return;
          await this.#replaceReader();
          continue;
        }
      } catch {
        if (!this.#running) return;
        this.#connectedSince = 0;
        // the connection broke (or Redis is still loading): the client reconnects by
        // itself; before reading on, find out whether entries were lost meanwhile
        this.#gapCheckDue = true;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#connectedSince === 0) this.#connectedSince = Date.now();
      if (!res) continue;
      for (
        const stream of res as {
          name: string;
          messages: { id: string; message: { e: string } }[];
        }[]
      ) {
        const shard = this.#streams.indexOf(stream.name);
        for (const m of stream.messages) {
          this.#lastIds[shard] = m.id;
          let event: BusEvent;
          try {
            event = JSON.parse(m.message.e);
          } catch {
            continue; // not ours: nothing to apply
          }
          this.#eventsIn++;
          try {
            this.#handlers.onEntry({ shard, id: m.id, event });
          } catch (err) {
            console.error(`bus: applying ${event.t} failed: ${(err as Error).message}`);
          }
        }
      }
    }
  }

  /** Set when the reading connection broke: check for lost entries before reading on. */
  #gapCheckDue = false;

  /**
   * After a reconnect: a shard whose stream now starts after our last id (trimmed) or ends
   * before it (Redis lost data) has lost entries for us. A check that cannot be made yet
   * (Redis still loading its data) is tried again before the next read.
   */
  async #checkGaps(): Promise<void> {
    for (let s = 0; s < this.shards; s++) {
      const last = this.#lastIds[s];
      if (last === "0-0") continue;
      let first: string | undefined, end: string;
      try {
        const info = await this.#reader.xInfoStream(this.#streams[s]) as unknown as {
          "first-entry"?: { id: string } | null;
          firstEntry?: { id: string } | null;
          "last-generated-id"?: string;
          lastGeneratedId?: string;
        };
        first = (info["first-entry"] ?? info.firstEntry)?.id;
        end = info["last-generated-id"] ?? info.lastGeneratedId ?? "0-0";
      } catch (err) {
        if (!/no such key/i.test((err as Error).message)) return; // not answerable yet
        end = "0-0";
      }
      const lost = compareIds(end, last) < 0 ||
        (first !== undefined && compareIds(first, last) > 0 &&
          !(await this.#hasEntry(s, last)));
      if (lost) {
        this.#lastIds[s] = end;
        this.#handlers.onGap(s);
      }
    }
    this.#gapCheckDue = false;
  }

  async #hasEntry(shard: number, id: string): Promise<boolean> {
    const r = await this.#reader.xRange(this.#streams[shard], id, id);
    return r.length > 0;
  }

  async #housekeeping(): Promise<void> {
    if (!this.#running || this.#fenced) return;
    const now = Date.now();
    if (now - this.#leaseRenewedAt >= this.#opts.renewMs) await this.#renew();
    if (this.#fenced) return;
    // commands sent while Redis is away wait for it and would hold up the next renewal
    // attempt, whose failures are what fence a node cut off for too long
    if (!this.#cmd.isReady) return;
    // a node whose own lease is stale cannot tell dead peers from its own trouble
    if (now - this.#leaseRenewedAt > this.#opts.renewMs * 2) return;
    await this.#refreshPeers();
    await this.#watchPeers();
  }

  async #renew(): Promise<void> {
    const lease = this.#key(`lease:${this.nodeId}`);
    const dead = this.#key(`dead:${this.nodeId}:${this.incarnation}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // commands wait in the client's queue while Redis is away (a short blip loses
      // nothing); the renewal must not: its failure is what fences a node cut off for long
      const r = await Promise.race([
        this.#cmd.eval(RENEW_LEASE, {
          keys: [lease, dead],
          arguments: [this.incarnation, String(this.#opts.leaseMs)],
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer")), this.#opts.renewMs);
        }),
      ]);
      clearTimeout(timer);
      if (Number(r) === 0) return this.#fence("another node took this node's lease");
      this.#leaseRenewedAt = Date.now();
      if (Number(r) === 2) {
        // Redis lost our keys (restarted without them): announce ourselves again
        await this.#cmd.hSet(this.#key("nodes"), this.nodeId, this.incarnation);
      }
    } catch (err) {
      clearTimeout(timer);
      if ((err as Error).message === "no answer" && this.#cmd.isReady) this.#replaceCmd();
      if (Date.now() - this.#leaseRenewedAt > this.#opts.leaseMs - this.#opts.renewMs) {
        this.#fence("the cluster's Redis has not answered for too long");
      }
    }
  }

  #fence(reason: string): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#handlers.onFenced(reason);
  }

  async #refreshPeers(): Promise<void> {
    const all = await this.#cmd.hGetAll(this.#key("nodes"));
    this.#peers = new Map(Object.entries(all).filter(([n]) => n !== this.nodeId));
  }

  /** Declares peers dead whose lease has been missing at two checks a renewal apart. */
  async #watchPeers(): Promise<void> {
    if (this.#connectedSince === 0 || Date.now() - this.#connectedSince < this.#opts.renewMs) {
      return;
    }
    const now = Date.now();
    for (const [node, inc] of this.#peers) {
      const held = await this.#cmd.get(this.#key(`lease:${node}`));
      if (held === inc) {
        this.#missing.delete(node);
        continue;
      }
      const since = this.#missing.get(node);
      if (since === undefined) {
        this.#missing.set(node, now);
        continue;
      }
      if (now - since < this.#opts.renewMs) continue;
      this.#missing.delete(node);
      await this.#declareDead(node, inc);
    }
  }

  async #declareDead(node: string, inc: string): Promise<void> {
    const event: BusEvent = { t: "node.dead", n: this.nodeId, i: this.incarnation, node, inc };
    await this.#cmd.eval(DECLARE_DEAD, {
      keys: [
        this.#key(`dead:${node}:${inc}`),
        this.#key(`lease:${node}`),
        this.#key(`lease:${this.nodeId}`),
        this.#key("nodes"),
        this.#key("nicks"),
        this.#key(`owned:${node}:${inc}`),
        this.#streams[0],
      ],
      arguments: [node, inc, this.incarnation, JSON.stringify(event), this.#minId()],
    });
  }

  /** Figures for /metrics and /healthz. */
  stats(): BusStats {
    return {
      eventsIn: this.#eventsIn,
      eventsOut: this.#eventsOut,
      leaseAgeMs: Date.now() - this.#leaseRenewedAt,
      peers: this.#peers.size,
      connected: this.#reader.isReady,
      stuckConnections: this.#stuckConnections,
    };
  }

  /**
   * Leaves the cluster: publishes this incarnation's death (so peers show its users' QUITs at
   * once instead of after the lease), drops the lease, and closes both connections.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#timer);
    await deadline(this.#tick, 1000);
    if (!this.#fenced) await deadline(this.#farewell().catch(() => {}), 2000);
    destroy(this.#reader);
    await this.#readLoop;
    if (await deadline(this.#cmd.quit().catch(() => STUCK), 1000) === STUCK) destroy(this.#cmd);
  }

  /** Tells the peers this incarnation is gone, and frees its nicks. */
  async #farewell(): Promise<void> {
    // give the lease up first, so the death declaration below is allowed: it checks that
    // the lease is no longer this incarnation's, and ours is the caller's too
    const event: BusEvent = {
      t: "node.dead",
      n: this.nodeId,
      i: this.incarnation,
      node: this.nodeId,
      inc: this.incarnation,
    };
    await this.#cmd.multi()
      .del(this.#key(`lease:${this.nodeId}`))
      .hDel(this.#key("nodes"), this.nodeId)
      .xAdd(this.#streams[0], "*", { e: JSON.stringify(event) })
      .exec();
    await this.#freeOwnNicks();
  }

  async #freeOwnNicks(): Promise<void> {
    const owned = this.#key(`owned:${this.nodeId}:${this.incarnation}`);
    const nicks = await this.#cmd.sMembers(owned);
    for (const nick of nicks) {
      const owner = await this.#cmd.hGet(this.#key("nicks"), nick);
      if (owner?.startsWith(this.ownerPrefix)) await this.#cmd.hDel(this.#key("nicks"), nick);
    }
    await this.#cmd.del(owned);
  }
}

/** How long a blocking read waits for new entries. */
const READ_BLOCK_MS = 1000;
/** Beyond its own blocking time, how long Redis may take to answer the reader. */
const STUCK_MS = 4000;
const STUCK = Symbol("stuck");

/** Closes a client for good, whatever state it is in. */
function destroy(client: Client): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** `p`, or {@link STUCK} when it has not settled within `ms`. */
function deadline<T>(p: Promise<T>, ms: number): Promise<T | typeof STUCK> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<typeof STUCK>((resolve) => timer = setTimeout(() => resolve(STUCK), ms)),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Compares two stream ids (`ms-seq`) numerically.
 *
 * @example
 * ```ts
 * import { compareIds } from "./redis_bus.ts";
 * import { equal } from "node:assert/strict";
 * equal(compareIds("10-1", "9-5") > 0, true);
 * equal(compareIds("5-0", "5-0"), 0);
 * ```
 */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}
