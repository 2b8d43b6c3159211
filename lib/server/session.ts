/**
 * A session: one client connection with its negotiated capabilities, its bounded outbound
 * queue, its flood bucket and its liveness clock. The identity it carries is a {@link User}.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";
import type { Connection } from "../transport/connection.ts";
import { tagMaskOf } from "./caps.ts";
import type { Outgoing } from "./outgoing.ts";
import type { User } from "./user.ts";

/** Largest batch copied into a session's reusable buffer; larger ones get their own. */
const OUT_BUFFER_MAX = 64 * 1024;

/** What a session needs from the server it belongs to. */
export interface SessionHost {
  /** Handles one input line of a session (parse, flood control, dispatch). */
  handleLine(session: Session, line: FramedLine): void | Promise<void>;
  /** The session's connection ended or must end: remove it, tell its peers. */
  endSession(session: Session, reason: string): void;
  /** The current SendQ cap in bytes. */
  readonly sendQ: number;
  /** Seconds to let a closing connection flush. */
  readonly closeGrace: number;
}

/**
 * One connection's state.
 *
 * @example
 * ```ts ignore
 * const session = new Session(host, connection, user);
 * session.run(); // reads until the peer goes away
 * ```
 */
export class Session {
  readonly conn: Connection;
  readonly user: User;
  readonly connectedAt: number = Date.now();
  /** Enabled capabilities. */
  readonly caps: Set<string> = new Set();
  /** Bits of {@link tagMaskOf} for the enabled capabilities. */
  tagMask = 0;
  /** CAP LS version (302 enables values and cap-notify). */
  capVersion = 0;
  /** Registration waits for CAP END while negotiation is open. */
  capNegotiating = false;
  /** The password given with PASS before registration. */
  password: string | undefined = undefined;
  /** USER received. */
  gotUser = false;
  /** Time of the last line received, for PING. */
  lastActivity: number = Date.now();
  /**
   * Extra idle milliseconds before this session is pinged (up to 10% of the interval), so
   * clients that connected together are not all pinged in the same sweep.
   */
  readonly pingJitter: number;
  /** When a liveness PING went out without an answer yet (0 = none). */
  pingSentAt = 0;
  /** Flood bucket: commands available now, refilled over time. */
  floodTokens = 0;
  floodStamp: number = Date.now();
  /** An AUTHENTICATE exchange in progress: the base64 received so far. */
  sasl: { buffer: string } | undefined = undefined;

  readonly #host: SessionHost;
  #queue: Uint8Array[] = [];
  #queued = 0;
  /** The reusable batch buffer, made on the first batch of several lines. */
  #outBuffer: Uint8Array | undefined = undefined;
  /** Bytes of the write in flight (0 = none). */
  #inFlight = 0;
  /** Waiting in the list of sessions whose output is to be started. */
  #scheduled = false;
  #closing = false;
  #dead = false;
  #drained: (() => void) | null = null;

  constructor(host: SessionHost, conn: Connection, user: User, pingJitter = 0) {
    this.#host = host;
    this.pingJitter = pingJitter;
    this.conn = conn;
    this.user = user;
  }

  /** Whether the session has been ended (no more output is accepted). */
  get dead(): boolean {
    return this.#dead;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Recomputes the tag mask after the enabled capabilities changed. */
  capsChanged(): void {
    this.tagMask = tagMaskOf(this.caps);
  }

  /** Reads and handles input until the connection ends. */
  async run(): Promise<void> {
    await this.conn.readLines((line) => {
      if (this.#dead || this.#closing) return;
      this.lastActivity = Date.now();
      this.pingSentAt = 0;
      return this.#host.handleLine(this, line);
    });
    if (!this.#dead) this.#host.endSession(this, "Connection closed");
  }

  /** Queues a message for this session. */
  send(out: Outgoing): void {
    this.write(out.bytes(this.tagMask));
  }

  /**
   * Queues bytes. Writes are coalesced: one write in flight per session, and everything
   * queued meanwhile goes out as the next single write. Sessions with new output are started
   * together once the current work is done, so a broadcast loop only appends to queues.
   * Past the SendQ cap the session is ended.
   */
  write(bytes: Uint8Array): void {
    if (this.#dead) return;
    this.#queued += bytes.length;
    if (this.#queued > this.#host.sendQ) {
      this.#queue.length = 0;
      this.#queued = 0;
      this.#host.endSession(this, "SendQ exceeded");
      return;
    }
    this.#queue.push(bytes);
    if (this.#inFlight === 0 && !this.#scheduled) {
      this.#scheduled = true;
      Session.#ready.push(this);
      if (!Session.#drainQueued) {
        Session.#drainQueued = true;
        queueMicrotask(Session.#drainReady);
      }
    }
  }

  /** Sessions with output to start, and whether a drain of them is queued. */
  static #ready: Session[] = [];
  static #drainQueued = false;
  static readonly #drainReady = (): void => {
    Session.#drainQueued = false;
    const ready = Session.#ready;
    Session.#ready = [];
    for (const session of ready) {
      session.#scheduled = false;
      session.#writeNext();
    }
  };

  /** Starts one write of everything queued, if none is in flight. */
  #writeNext(): void {
    const queue = this.#queue;
    if (this.#inFlight !== 0 || queue.length === 0) return;
    if (!this.conn.tryWrite) {
      const data = queue.length === 1 ? queue[0] : this.#ownBatch(queue);
      queue.length = 0;
      this.#inFlight = data.length;
      this.conn.write(data).then(this.#written, this.#writeFailed);
      return;
    }
    let data = queue.length === 1 ? queue[0] : Session.#sharedBatch(queue);
    queue.length = 0;
    // most writes fit in the socket buffer at once: no promise, no later turn
    const taken = this.conn.tryWrite(data);
    this.#queued -= taken;
    if (taken === data.length) {
      this.#settle();
      return;
    }
    // the rest waits for room: it needs bytes of its own, the shared batch is reused at once
    data = data.slice(taken);
    this.#inFlight = data.length;
    this.conn.write(data).then(this.#written, this.#writeFailed);
  }

  /**
   * The last batch concatenated for a direct send, and the lines it was made of. In a channel
   * fan-out nearly every member queued the very same lines in a turn, so all but the first
   * reuse it: comparing a few references instead of copying every line for every member.
   * Direct sends finish before the next batch is made, so one buffer serves everyone.
   */
  static #batchParts: Uint8Array[] = [];
  static #batchBytes: Uint8Array = new Uint8Array(OUT_BUFFER_MAX);
  static #batchLength = 0;

  static #sharedBatch(queue: Uint8Array[]): Uint8Array {
    const parts = Session.#batchParts;
    if (parts.length === queue.length) {
      let same = true;
      for (let i = 0; i < queue.length && same; i++) same = parts[i] === queue[i];
      if (same) return Session.#batchBytes.subarray(0, Session.#batchLength);
    }
    const total = byteLength(queue);
    if (total > OUT_BUFFER_MAX) return concat(queue, new Uint8Array(total));
    parts.length = 0;
    for (let i = 0; i < queue.length; i++) parts.push(queue[i]);
    Session.#batchLength = total;
    return concat(queue, Session.#batchBytes.subarray(0, total));
  }

  /** A batch for an asynchronous write, which keeps it until done: this session's buffer. */
  #ownBatch(queue: Uint8Array[]): Uint8Array {
    const total = byteLength(queue);
    if (total > OUT_BUFFER_MAX) return concat(queue, new Uint8Array(total));
    // one write is in flight at a time, so a busy session can reuse one buffer for its
    // batches instead of allocating (and collecting) a new one each time
    if (!this.#outBuffer || this.#outBuffer.length < total) {
      this.#outBuffer = new Uint8Array(Math.min(OUT_BUFFER_MAX, Math.max(4096, total * 2)));
    }
    return concat(queue, this.#outBuffer.subarray(0, total));
  }

  // bound once: no closure per write
  readonly #written = (): void => {
    this.#queued -= this.#inFlight;
    this.#inFlight = 0;
    if (this.#queue.length > 0) this.#writeNext();
    else this.#settle();
  };

  readonly #writeFailed = (): void => {
    // the peer is gone; the read side notices too, whichever comes first ends the session
    this.#inFlight = 0;
    this.#queue.length = 0;
    this.#queued = 0;
    if (!this.#dead && !this.#closing) this.#host.endSession(this, "Write error");
    this.#settle();
  };

  /** Tells a waiting close() that the output has drained. */
  #settle(): void {
    if (this.#drained) {
      this.#drained();
      this.#drained = null;
    }
  }

  /**
   * Stops accepting output, lets what is queued (such as a final ERROR) go out within the
   * grace time, then closes the connection. Resolves once it is closed.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#inFlight !== 0 || this.#queue.length > 0) {
      const drained = new Promise<void>((resolve) => (this.#drained = resolve));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#host.closeGrace * 1000);
      });
      await Promise.race([drained, grace]);
      clearTimeout(timer);
    }
    this.#dead = true;
    this.conn.close();
  }

  /** Closes at once, dropping queued output (a client that stopped reading). */
  abort(): void {
    this.#closing = true;
    this.#dead = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.conn.close();
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
