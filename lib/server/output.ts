/**
 * The output path, as one unit: each session's bounded queue ({@link OutputQueue}) and the
 * server's {@link OutputScheduler}, which starts the writes of every queue that received
 * output once the current work is done and shares one concatenated batch among queues that
 * hold the very same lines.
 *
 * The rules it keeps, so that no caller has to:
 * - one write in flight per queue; what is queued meanwhile goes out as the next single write;
 * - the connection's direct write (`send(2)`) is taken by the queue alone and is called only
 *   when no write is in flight, so bytes can never overtake a pending write;
 * - a queue that goes over SendQ drops its output at once and reports it on a later
 *   microtask, never from inside the loop that was fanning a message out.
 *
 * The hot path stays cheap: appending is a push and a compare, a write the socket takes at
 * once makes no promise, and no closure is made per write.
 *
 * @module
 */

import type { Connection } from "../transport/connection.ts";
import { FanoutPace } from "./pace.ts";

/** Largest batch copied into a reusable buffer; larger ones get their own. */
const OUT_BUFFER_MAX = 64 * 1024;

/**
 * A turn that started this many queues' writes was a big fan-out: the next start is paced
 * ({@link FanoutPace}) instead of running at the end of the current work, so the input that
 * arrives meanwhile joins the same writes (fewer, fuller sends).
 */
const CORK_QUEUES = 200;

/**
 * The share of the process's time the starts of big fan-outs may cost before they are held
 * back, where most of the queues have direct sends (`send(2)`): a server with CPU to spare
 * writes each message out at once, one without it batches several into each write. Tuned by
 * A/B runs of a 1,000-member fan-out (bench/README.md, "The cork paced by its cost").
 */
const DIRECT_SHARE = 0.55;

/**
 * The same where most queues write through `Deno.Conn.write` (Windows, macOS, TLS,
 * WebSocket, no FFI permission). Its writes cost more each, so the same share would hold
 * messages back at rates the direct path writes out at once; it may take more of the time.
 */
const ASYNC_SHARE = 0.8;

/**
 * The longest a paced start waits (ms), whatever the measured cost. Waits near it come only
 * when the server is short of CPU; it bounds what the pace adds to a message's latency.
 */
const CORK_MAX_MS = 20;

/** Why a queue asks its owner to end the session. */
export type OutputEnd = "SendQ exceeded" | "Write error";

/** What a queue reads its cap from (read on every append: limits can change at run time). */
export interface OutputLimits {
  /** Bytes that may wait to be written before the queue is over SendQ. */
  readonly sendQ: number;
}

// scheduler ↔ queue calls that must not be part of either public surface
const START = Symbol("start");
const REPORT = Symbol("report");
const READY = Symbol("ready");
const OVERFLOWED = Symbol("overflowed");
const SHARED = Symbol("shared");

/**
 * The server's output scheduler: one per server, shared by all of its sessions' queues.
 * Queues that received output are started together on one microtask, so a fan-out loop only
 * appends; queues that went over SendQ are reported on a microtask too.
 *
 * @example
 * ```ts
 * import { OutputScheduler } from "./output.ts";
 * import { memoryConnectionPair } from "../transport/memory.ts";
 * import { equal } from "node:assert/strict";
 *
 * const output = new OutputScheduler();
 * const { server, client } = memoryConnectionPair();
 * const queue = output.open(server, { sendQ: 1024 }, () => {});
 * queue.push(new TextEncoder().encode("PING :x\r\n"));
 * equal(queue.queuedBytes, 9); // nothing is written before the current work is done
 * await queue.drained();
 * equal(client.text(), "PING :x\r\n");
 * ```
 */
export class OutputScheduler {
  /** Queues with output to start, and whether a microtask to start them is queued. */
  #ready: OutputQueue[] = [];
  /** Queues over SendQ whose owners are still to be told. */
  #overflowed: OutputQueue[] = [];
  #runQueued = false;
  /** The last turn started at least {@link CORK_QUEUES} queues. */
  #corked = false;
  /** When (performance.now()) the next start may run after a big fan-out. */
  #nextStart = 0;
  readonly #pace: FanoutPace;
  readonly #now: () => number;
  /**
   * The last batch concatenated for a direct write, and the lines it was made of. In a
   * channel fan-out nearly every member queued the very same lines in a turn, so all but the
   * first reuse it: comparing a few references instead of copying every line for every
   * member. Direct writes finish before the next batch is made, so one buffer serves all.
   */
  #batchParts: Uint8Array[] = [];
  #batchBytes: Uint8Array = new Uint8Array(OUT_BUFFER_MAX);
  #batchLength = 0;

  /** `pace` times the starts after big fan-outs (tests give it a clock of their own). */
  constructor(pace: FanoutPace = new FanoutPace(CORK_MAX_MS)) {
    this.#pace = pace;
    this.#now = pace.clock.now;
  }

  /**
   * A queue for one connection. `limits.sendQ` caps it; `onEnd` is called when the session
   * must end (over SendQ: on a later microtask; a failed write: when it fails).
   */
  open(conn: Connection, limits: OutputLimits, onEnd: (reason: OutputEnd) => void): OutputQueue {
    return new OutputQueue(this, conn, limits, onEnd);
  }

  // bound once: no closure per turn
  readonly #run = (): void => {
    this.#runQueued = false;
    const ready = this.#ready;
    this.#corked = ready.length >= CORK_QUEUES;
    if (ready.length > 0) {
      this.#ready = [];
      const began = this.#corked ? this.#now() : 0;
      let asynchronous = 0;
      for (let i = 0; i < ready.length; i++) {
        if (!ready[i].direct) asynchronous++;
        ready[i][START]();
      }
      if (this.#corked) {
        const share = asynchronous * 2 > ready.length ? ASYNC_SHARE : DIRECT_SHARE;
        this.#nextStart = this.#pace.started(began, share);
      }
    }
    const overflowed = this.#overflowed;
    if (overflowed.length > 0) {
      this.#overflowed = [];
      // ending a session tells its peers: that output is scheduled anew, on its own turn
      for (let i = 0; i < overflowed.length; i++) overflowed[i][REPORT]();
    }
  };

  #queueRun(): void {
    if (!this.#runQueued) {
      this.#runQueued = true;
      // a timer only when the pace asks for a wait: even one of 0 ms costs a millisecond or
      // two here, where the end of the current work (every line of this batch of input) is
      // soon enough for the rest
      const wait = this.#corked ? this.#nextStart - this.#now() : 0;
      if (wait > 0) setTimeout(this.#run, wait);
      else queueMicrotask(this.#run);
    }
  }

  /** A queue has output and no write in flight: start it with the others. */
  [READY](queue: OutputQueue): void {
    this.#ready.push(queue);
    this.#queueRun();
  }

  /** A queue went over SendQ: tell its owner once the current work is done. */
  [OVERFLOWED](queue: OutputQueue): void {
    this.#overflowed.push(queue);
    this.#queueRun();
  }

  /** One batch of `parts` for a direct write; valid only until the next call. */
  [SHARED](parts: Uint8Array[]): Uint8Array {
    const last = this.#batchParts;
    if (last.length === parts.length) {
      let same = true;
      for (let i = 0; i < parts.length && same; i++) same = last[i] === parts[i];
      if (same) return this.#batchBytes.subarray(0, this.#batchLength);
    }
    const total = byteLength(parts);
    if (total > OUT_BUFFER_MAX) return concat(parts, new Uint8Array(total));
    last.length = 0;
    for (let i = 0; i < parts.length; i++) last.push(parts[i]);
    this.#batchLength = total;
    return concat(parts, this.#batchBytes.subarray(0, total));
  }
}

/** Accepting output, over SendQ (waiting to be reported, then ended), or shut. */
const OPEN = 0;
const OVER = 1;
const SHUT = 2;

/**
 * One session's outbound queue, made by {@link OutputScheduler.open}. Bytes appended with
 * {@link OutputQueue.push} go out in order; at most one write is in flight.
 *
 * @example
 * ```ts
 * import { OutputScheduler } from "./output.ts";
 * import { memoryConnectionPair } from "../transport/memory.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const ended: string[] = [];
 * const { server } = memoryConnectionPair({ paused: true });
 * const queue = new OutputScheduler().open(server, { sendQ: 8 }, (why) => ended.push(why));
 * queue.push(new Uint8Array(9)); // over the cap: dropped, reported on a later microtask
 * deepEqual(ended, []);
 * await Promise.resolve();
 * deepEqual(ended, ["SendQ exceeded"]);
 * ```
 */
export class OutputQueue {
  readonly #scheduler: OutputScheduler;
  readonly #conn: Connection;
  /** The connection's direct write, held by this queue alone; undefined where there is none. */
  readonly #direct: ((data: Uint8Array) => number) | undefined;
  /** Whether the connection has a partial write (see {@link Connection.writeSome}). */
  readonly #writeSome: boolean;
  /** The bytes of the write in flight still to go, when it goes through {@link #writeSome}. */
  #rest: Uint8Array | undefined = undefined;
  readonly #limits: OutputLimits;
  readonly #onEnd: (reason: OutputEnd) => void;
  #parts: Uint8Array[] = [];
  #queued = 0;
  /** Bytes of the write in flight (0 = none). */
  #inFlight = 0;
  /** Waiting in the scheduler's list of queues to start. */
  #scheduled = false;
  #state = OPEN;
  /** The reusable buffer for batches of asynchronous writes, made on the first one. */
  #ownBuffer: Uint8Array | undefined = undefined;
  #drained: (() => void) | null = null;

  /** Use {@link OutputScheduler.open}. */
  constructor(
    scheduler: OutputScheduler,
    conn: Connection,
    limits: OutputLimits,
    onEnd: (reason: OutputEnd) => void,
  ) {
    this.#scheduler = scheduler;
    this.#conn = conn;
    this.#direct = conn.takeDirectWrite?.();
    this.#writeSome = conn.writeSome !== undefined;
    this.#limits = limits;
    this.#onEnd = onEnd;
  }

  /** Bytes waiting to be written, the write in flight included. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Whether the queue went over SendQ (it accepts nothing more). */
  get overflowed(): boolean {
    return this.#state === OVER;
  }

  /** Whether the connection's direct write is in use (else every write is asynchronous). */
  get direct(): boolean {
    return this.#direct !== undefined;
  }

  /**
   * Appends bytes (one or more CRLF-terminated lines; they must not change afterwards: a
   * broadcast hands the same bytes to every queue). Nothing is written before the current
   * work is done. Past the SendQ cap the queue drops everything and stops accepting.
   */
  push(bytes: Uint8Array): void {
    if (this.#state !== OPEN) return;
    this.#queued += bytes.length;
    if (this.#queued > this.#limits.sendQ) {
      this.#state = OVER;
      this.#parts.length = 0;
      this.#queued = 0;
      this.#scheduler[OVERFLOWED](this);
      return;
    }
    this.#parts.push(bytes);
    if (this.#inFlight === 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.#scheduler[READY](this);
    }
  }

  /** Whether anything is queued or being written. */
  get pending(): boolean {
    return this.#inFlight !== 0 || this.#parts.length > 0;
  }

  /** Resolves once nothing is queued or in flight (at once when that is so already). */
  drained(): Promise<void> {
    if (!this.pending && !this.#scheduled) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const before = this.#drained;
      this.#drained = before
        ? () => {
          before();
          resolve();
        }
        : resolve;
    });
  }

  /** Stops accepting output and drops what is queued (a write in flight finishes alone). */
  shut(): void {
    this.#state = SHUT;
    this.#parts.length = 0;
    this.#queued = this.#inFlight;
    if (this.#inFlight === 0) this.#settle();
  }

  /** Called by the scheduler: tells the owner that this queue went over SendQ. */
  [REPORT](): void {
    this.#onEnd("SendQ exceeded");
  }

  /** Called by the scheduler: starts one write of everything queued. */
  [START](): void {
    this.#scheduled = false;
    this.#writeNext();
  }

  /** Starts one write of everything queued, if none is in flight: the only place that writes. */
  #writeNext(): void {
    const parts = this.#parts;
    if (this.#inFlight !== 0 || parts.length === 0) {
      if (this.#inFlight === 0) this.#settle();
      return;
    }
    const direct = this.#direct;
    if (direct === undefined) {
      const data = parts.length === 1 ? parts[0] : this.#ownBatch(parts);
      parts.length = 0;
      this.#writeAll(data);
      return;
    }
    const data = parts.length === 1 ? parts[0] : this.#scheduler[SHARED](parts);
    parts.length = 0;
    // most writes fit in the socket buffer at once: no promise, no later turn
    const taken = direct(data);
    this.#queued -= taken;
    if (taken === data.length) {
      this.#settle();
      return;
    }
    // the rest waits for room: it needs bytes of its own, the shared batch is reused at once
    this.#writeAll(data.slice(taken));
  }

  /** Starts the asynchronous write of all of `data`, which must not change until it is done. */
  #writeAll(data: Uint8Array): void {
    this.#inFlight = data.length;
    if (!this.#writeSome) {
      this.#conn.write(data).then(
        this.#written ??= () => this.#writtenNow(),
        this.#failed ??= () => this.#writeFailed(),
      );
      return;
    }
    this.#rest = data;
    this.#conn.writeSome!(data).then(
      this.#wroteSome ??= (n: number) => this.#someWritten(n),
      this.#failed ??= () => this.#writeFailed(),
    );
  }

  #someWritten(n: number): void {
    // #rest is set for as long as a partial write is in flight, and #inFlight is its length
    if (n < this.#inFlight) {
      // the socket took part of it: the rest is still this write, in the same bytes
      this.#queued -= n;
      this.#inFlight -= n;
      this.#rest = this.#rest!.subarray(n);
      this.#conn.writeSome!(this.#rest).then(this.#wroteSome, this.#failed);
      return;
    }
    this.#rest = undefined;
    this.#writtenNow();
  }

  /** A batch for an asynchronous write, which keeps it until done: this queue's buffer. */
  #ownBatch(parts: Uint8Array[]): Uint8Array {
    const total = byteLength(parts);
    if (total > OUT_BUFFER_MAX) return concat(parts, new Uint8Array(total));
    // one write is in flight at a time, so a busy queue can reuse one buffer for its batches
    // instead of allocating (and collecting) a new one each time
    if (!this.#ownBuffer || this.#ownBuffer.length < total) {
      this.#ownBuffer = new Uint8Array(Math.min(OUT_BUFFER_MAX, Math.max(4096, total * 2)));
    }
    return concat(parts, this.#ownBuffer.subarray(0, total));
  }

  // made at the first asynchronous write and kept (no closure per write); with direct sends
  // most sessions never make one, and an idle session saves their ~190 bytes
  #written: (() => void) | undefined = undefined;
  #wroteSome: ((n: number) => void) | undefined = undefined;
  #failed: (() => void) | undefined = undefined;

  #writtenNow(): void {
    this.#queued -= this.#inFlight;
    this.#inFlight = 0;
    this.#writeNext();
  }

  #writeFailed(): void {
    // the peer is gone; the read side notices too, whichever comes first ends the session
    this.#inFlight = 0;
    this.#rest = undefined;
    this.#parts.length = 0;
    this.#queued = 0;
    const wasOpen = this.#state === OPEN;
    this.#state = SHUT;
    this.#settle();
    if (wasOpen) this.#onEnd("Write error");
  }

  /** Tells those waiting in {@link OutputQueue.drained} that the output has drained. */
  #settle(): void {
    const drained = this.#drained;
    if (drained) {
      this.#drained = null;
      drained();
    }
  }
}

/** Copies `parts` one after another into `into` (exactly their total length) and returns it. */
function concat(parts: Uint8Array[], into: Uint8Array): Uint8Array {
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    into.set(parts[i], off);
    off += parts[i].length;
  }
  return into;
}

/** The total length of `parts` in bytes. */
function byteLength(parts: Uint8Array[]): number {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].length;
  return total;
}
