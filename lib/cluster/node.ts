/**
 * One server node of a cluster: the bus, the publishing of local changes
 * ({@link ClusterEvents}) and the applying of remote ones ({@link Applier}), wired into a
 * {@link ChatServer}. A node joining a running cluster says `node.hello`; every peer answers
 * with a `node.state` of its own users and their channels, applied idempotently.
 *
 * Everything goes through ONE stream shard by default: Redis then orders every event of the
 * network, so a user's registration is applied before its joins everywhere, and a node's death
 * after its users' last events. (The bus can spread events over more shards, but events of
 * one user in two shards could then be applied out of order; that is not handled yet.)
 *
 * @module
 */

import { join } from "node:path";
import type { ClusterStatus } from "../server/events.ts";
import type { ChatServer } from "../server/server.ts";
import { Applier } from "./apply.ts";
import type { ClusterEvents } from "./cluster_events.ts";
import { HistoryQueue } from "./history_queue.ts";
import { type BusEntry, RedisBus } from "./redis_bus.ts";

/** How a node is set up. */
export interface NodeOptions {
  url: string;
  nodeId: string;
  /** Called once the node is fenced and its clients are closed: the process should end. */
  onFatal(message: string): void;
  /** Bus timings (tests shorten them). */
  leaseMs?: number;
  renewMs?: number;
}

/** How long a starting node waits for its peers' state before it lets clients in. */
const STATE_WAIT_MS = 3000;

/** What a fenced node's clients are told. */
export const FENCED_REASON = "this server lost contact with the cluster";

/**
 * The cluster side of one server.
 *
 * @example
 * ```ts ignore
 * const events = new ClusterEvents();
 * const server = new ChatServer(config, store, events);
 * const node = new ClusterNode(server, events, { url, nodeId, onFatal: (m) => exit(m) });
 * await node.start(); // before server.start(): no client before the bus is up
 * ```
 */
export class ClusterNode implements ClusterStatus {
  readonly #server: ChatServer;
  readonly #events: ClusterEvents;
  readonly #applier: Applier;
  readonly #bus: RedisBus;
  readonly #history: HistoryQueue;
  readonly #opts: NodeOptions;
  #fenced = false;
  /** The peers that answered this node's hello. */
  readonly #answered: Set<string> = new Set();

  constructor(server: ChatServer, events: ClusterEvents, opts: NodeOptions) {
    this.#server = server;
    this.#events = events;
    this.#opts = opts;
    this.#applier = new Applier(server, events);
    this.#bus = new RedisBus({
      url: opts.url,
      nodeId: opts.nodeId,
      shards: 1,
      // a dead peer is declared within about 12 s of its last renewal (lease, plus the
      // two checks a renewal apart that declaring it takes)
      leaseMs: opts.leaseMs ?? 8000,
      renewMs: opts.renewMs ?? 2000,
    }, {
      onEntry: (entry) => this.#onEntry(entry),
      onGap: (shard) => this.#onGap(shard),
      onFenced: (reason) => this.#onFenced(reason),
    });
    this.#history = new HistoryQueue({
      url: opts.url,
      nodeId: opts.nodeId,
      key: this.#bus.historyKey,
      store: server.store,
    });
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#bus.nodeId;
  }

  /** This run's incarnation. */
  get incarnation(): string {
    return this.#bus.incarnation;
  }

  /** Connects, joins the cluster and asks the peers for their state. */
  async start(): Promise<void> {
    await this.#bus.start();
    await this.#history.start();
    this.#events.attach(this.#bus);
    const users = this.#server.users;
    users.nickClaim = (user, nick) => this.#events.claim(user, nick);
    users.nickDrop = (user) => this.#events.drop(user);
    this.#server.channels.beforeMake = () => this.#bus.caughtUp().catch(() => {});
    await this.#bus.publish(0, { t: "node.hello" });
    // clients come in once the peers' state is here (bounded: a peer that died meanwhile
    // is declared dead later and answers nothing)
    const deadline = Date.now() + STATE_WAIT_MS;
    while (this.#answered.size < this.#bus.stats().peers && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Leaves the cluster (peers show this node's users' QUITs at once). */
  async stop(): Promise<void> {
    this.#events.stop();
    await this.#history.stop();
    await this.#bus.stop();
  }

  #onEntry(entry: BusEntry): void {
    const e = entry.event;
    const bus = this.#bus;
    if (e.t === "node.dead") {
      // whoever declared it, this node included: every node shows the QUITs
      if (e.node === bus.nodeId && e.inc === bus.incarnation) {
        if (e.n !== bus.nodeId) this.#onFenced("the cluster declared this node dead");
      } else this.#applier.nodeDead(e.node as string, e.inc as string);
      return;
    }
    if (e.n === bus.nodeId && e.i === bus.incarnation) {
      if (e.t === "join") this.#applier.ownJoinRead(e);
      return;
    }
    if (e.t === "state" && e.to === `${bus.nodeId}/${bus.incarnation}`) this.#answered.add(e.n);
    if (e.t === "node.hello") {
      const snap = this.#applier.snapshot();
      bus.publish(0, { t: "state", to: `${e.n}/${e.i}`, ...snap }).catch((err) =>
        console.error(`cluster: answering ${e.n}'s hello failed: ${(err as Error).message}`)
      );
      return;
    }
    this.#applier.apply(e);
  }

  #onGap(shard: number): void {
    // entries were lost to this node: the peers' state answers fill in what it missed
    console.error(`cluster: events of shard ${shard} were lost; asking the peers for their state`);
    this.#bus.publish(0, { t: "node.hello" }).catch(() => {});
  }

  #onFenced(reason: string): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#events.stop();
    void this.#history.stop();
    console.error(`cluster: node ${this.nodeId} is fenced: ${reason}`);
    for (const session of [...this.#server.sessions]) {
      this.#server.endSession(session, FENCED_REASON);
    }
    // the sessions are ended: this waits (bounded) for their goodbyes to be written
    void this.#server.shutdown(FENCED_REASON).finally(() => this.#fatal(reason));
  }

  #fatal(reason: string): void {
    this.#opts.onFatal(
      `node ${this.nodeId} lost its place in the cluster (${reason}); ` +
        "its clients were disconnected. Start it again (systemd: Restart=always) to rejoin " +
        "as a new incarnation.",
    );
  }

  /** The bus state for /healthz and /metrics. */
  clusterStatus(): ReturnType<ClusterStatus["clusterStatus"]> {
    const s = this.#bus.stats();
    return {
      nodeId: this.nodeId,
      fenced: this.#fenced,
      ...s,
      historyBacklog: this.#history.backlog,
    };
  }
}

/**
 * This node's id: the one kept in the data folder's `node-id` file, made (from the host
 * name and a random part) on first start.
 */
export async function loadNodeId(dataDir: string): Promise<string> {
  const path = join(dataDir, "node-id");
  try {
    const id = (await Deno.readTextFile(path)).trim();
    if (/^[A-Za-z0-9._-]{1,32}$/.test(id)) return id;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  let host = "node";
  try {
    host = Deno.hostname().replace(/[^A-Za-z0-9-]/g, "").slice(0, 20) || "node";
  } catch {
    // no --allow-sys: the random part alone names it
  }
  const id = `${host}-${crypto.randomUUID().slice(0, 6)}`;
  await Deno.writeTextFile(path, id + "\n", { mode: 0o600 });
  return id;
}
