/**
 * The history queue of a cluster: messages that were sent while the store (PostgreSQL) could
 * not take them. Their records wait in a Redis stream (`PREFIX:h`, written in the same MULTI
 * as the message's bus event, see {@link RedisBus.publishWithHistory}); every node reads it
 * as a member of one consumer group, so each record goes to one node, which writes it to the
 * store once the store answers again and only then acknowledges and deletes it.
 *
 * Nothing is lost or doubled when a node dies: a record its node read but had not written
 * stays pending in the group; the node reads its own pending records again when it restarts
 * (the consumer is named by the node id), and the others claim records that have been
 * pending for {@link CLAIM_IDLE_MS}. A record written twice this way is stored once: every
 * store's append is idempotent by msgid. The queue is bounded by the streams' retention (one
 * hour by default): a record older than that is trimmed, written or not.
 *
 * @module
 */

import { createClient } from "redis";
import type { ChatStore, HistoryMessage } from "../store/store.ts";
import { StoreUnavailableError } from "../store/store.ts";

/** The consumer group every node's writer belongs to. */
export const HISTORY_GROUP = "writers";

/** Records pending this long with one node (dead, or stuck) are taken over by another. */
export const CLAIM_IDLE_MS = 5000;

/** Records read (and written) at once, at most. */
const BATCH = 500;

/** How the queue is set up. */
export interface HistoryQueueOptions {
  url: string;
  nodeId: string;
  /** The stream (see {@link RedisBus.historyKey}). */
  key: string;
  store: ChatStore;
}

type Entry = { id: string; message: Record<string, string> | null };

/**
 * One node's writer of the history queue.
 *
 * @example
 * ```ts ignore
 * const queue = new HistoryQueue({ url, nodeId, key: bus.historyKey, store });
 * await queue.start();
 * queue.backlog; // records not yet written, cluster-wide, as last seen
 * await queue.stop();
 * ```
 */
export class HistoryQueue {
  readonly #opts: HistoryQueueOptions;
  readonly #client: ReturnType<typeof createClient>;
  #running = false;
  #loop: Promise<void> | undefined;
  #backlog = 0;
  #written = 0;
  #wake: (() => void) | undefined;

  constructor(opts: HistoryQueueOptions) {
    this.#opts = opts;
    const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1000);
    this.#client = createClient({ url: opts.url, socket: { reconnectStrategy } });
    this.#client.on("error", () => {});
  }

  /** Records waiting in the queue, cluster-wide, as last seen (refreshed about every second). */
  get backlog(): number {
    return this.#backlog;
  }

  /** Records this node wrote from the queue. */
  get written(): number {
    return this.#written;
  }

  /** Joins the consumer group (making the stream when new) and starts writing. */
  async start(): Promise<void> {
    await this.#client.connect();
    try {
      await this.#client.xGroupCreate(this.#opts.key, HISTORY_GROUP, "0", { MKSTREAM: true });
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops; records read but not written stay pending for this node or another. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake?.();
    this.#client.destroy();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { key, nodeId } = this.#opts;
    // this node's own pending records first: a previous run may have read them and died
    let cursor = "0";
    let claimedAt = Date.now();
    let countedAt = 0;
    while (this.#running) {
      let entries: Entry[] = [];
      try {
        if (Date.now() - countedAt >= 1000) {
          countedAt = Date.now();
          this.#backlog = await this.#client.xLen(key);
        }
        if (cursor === ">" && Date.now() - claimedAt >= CLAIM_IDLE_MS) {
          claimedAt = Date.now();
          const r = await this.#client.xAutoClaim(
            key,
            HISTORY_GROUP,
            nodeId,
            CLAIM_IDLE_MS,
            "0-0",
            {
              COUNT: BATCH,
            },
          );
          entries = (r.messages as (Entry | null)[]).filter((m): m is Entry => m !== null);
        }
        if (entries.length === 0) {
          const res = await this.#client.xReadGroup(
            HISTORY_GROUP,
            nodeId,
            { key, id: cursor },
            cursor === ">" ? { COUNT: BATCH, BLOCK: 1000 } : { COUNT: BATCH },
          ) as { messages: Entry[] }[] | null;
          entries = res?.[0]?.messages ?? [];
          if (cursor === "0" && entries.length === 0) {
            cursor = ">";
            continue;
          }
        }
      } catch {
        if (!this.#running) return;
        // Redis is away: the client reconnects by itself
        await this.#pause(200);
        continue;
      }
      if (entries.length > 0) await this.#write(entries);
    }
  }

  /** Writes the records (waiting for the store as long as it takes), then acknowledges. */
  async #write(entries: Entry[]): Promise<void> {
    const records: HistoryMessage[] = [];
    for (const e of entries) {
      try {
        if (e.message?.h) records.push(JSON.parse(e.message.h));
      } catch {
        // not a record: nothing to write
      }
    }
    const store = this.#opts.store;
    while (this.#running && records.length > 0) {
      if (!store.available()) {
        await this.#pause(250);
        continue;
      }
      try {
        await Promise.all(records.map((r) => store.appendMessage(r)));
        break;
      } catch (err) {
        if (err instanceof StoreUnavailableError) continue;
        // a record the store refuses for itself must not hold up the others: one by one,
        // and a refused one is dropped with a line saying so
        let away = false;
        for (const r of records) {
          try {
            await store.appendMessage(r);
          } catch (e) {
            if (e instanceof StoreUnavailableError) {
              away = true;
              break;
            }
            console.error(`history queue: message ${r.msgid} dropped: ${(e as Error).message}`);
          }
        }
        if (!away) break;
      }
    }
    if (!this.#running) return; // not acknowledged: pending for the next run or another node
    this.#written += records.length;
    const ids = entries.map((e) => e.id);
    try {
      await this.#client.multi().xAck(this.#opts.key, HISTORY_GROUP, ids).xDel(this.#opts.key, ids)
        .exec();
    } catch {
      // written but not acknowledged: read again later, and stored once (by msgid)
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
