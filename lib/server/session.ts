/**
 * A session: one client connection with its negotiated capabilities, its bounded outbound
 * queue (an {@link OutputQueue} of the server's output module), its flood bucket and its
 * liveness clock. The identity it carries is a {@link User}.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";
import type { Connection } from "../transport/connection.ts";
import { tagMaskOf } from "./caps.ts";
import type { MultilineBatch } from "./multiline.ts";
import type { Outgoing } from "./outgoing.ts";
import type { OutputEnd, OutputQueue, OutputScheduler } from "./output.ts";
import type { User } from "./user.ts";

/** The capabilities of a session that enabled none: one empty set for all of them. */
const NO_CAPS: ReadonlySet<string> = new Set();

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
  /** The server's output scheduler, which gives each session its queue. */
  readonly output: OutputScheduler;
  /**
   * The session's reading has finished ({@link Session.run} settles next); `error` is set
   * when ending it threw (a bug: the host logs it and ends the session its own way).
   */
  sessionFinished(session: Session, error?: unknown): void;
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
  /**
   * The identity this connection carries. Changed only by {@link UserTable.attach}, when a
   * connection logs in to an account already online and joins that user (multiclient).
   */
  user: User;
  readonly connectedAt: number = Date.now();
  /** Enabled capabilities; made at the first (an empty set costs about 170 bytes). */
  #caps: Set<string> | undefined = undefined;
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
  /** This device's own away message (the user is away only when every device is). */
  away: string | undefined = undefined;
  /** When `away` was set (a sequence number), to pick the newest of several away devices. */
  awayAt = 0;
  /** A nick asked for while registering that a logged-in user holds: decided at the end. */
  pendingNick: string | undefined = undefined;
  /** An AUTHENTICATE exchange in progress: the base64 received so far. */
  sasl: { buffer: string } | undefined = undefined;
  /** The draft/multiline batch this client is sending (see multiline.ts), if any. */
  multiline: MultilineBatch | undefined = undefined;

  readonly #host: SessionHost;
  readonly #out: OutputQueue;
  #closing = false;
  #dead = false;
  /** {@link Session.run}'s promise, once started. */
  #running: Promise<void> | undefined = undefined;

  constructor(host: SessionHost, conn: Connection, user: User, pingJitter = 0) {
    this.#host = host;
    this.pingJitter = pingJitter;
    this.conn = conn;
    this.user = user;
    this.#out = host.output.open(conn, host, this.#outputEnded);
  }

  /** Whether the session has been ended (no more output is accepted). */
  get dead(): boolean {
    return this.#dead;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#out.queuedBytes;
  }

  /** Enabled capabilities (change them with {@link setCap}). */
  get caps(): ReadonlySet<string> {
    return this.#caps ?? NO_CAPS;
  }

  /** Enables or disables a capability; call {@link capsChanged} after a batch of these. */
  setCap(name: string, on: boolean): void {
    if (on) (this.#caps ??= new Set()).add(name);
    else this.#caps?.delete(name);
  }

  /** Recomputes the tag mask after the enabled capabilities changed. */
  capsChanged(): void {
    this.tagMask = tagMaskOf(this.caps);
  }

  /**
   * Reads and handles input until the connection ends; resolves after that (the same
   * promise on every call), never rejects.
   */
  run(): Promise<void> {
    // one reaction per session and no async frame: an idle session keeps only this promise
    return this.#running ??= this.conn.readLines(this.#onLine).then(
      this.#readEnded,
      this.#readEnded,
    );
  }

  // bound once, like the others: a closure per session, none per line
  readonly #onLine = (line: FramedLine): void | Promise<void> => {
    if (this.#dead || this.#closing) return;
    this.lastActivity = Date.now();
    this.pingSentAt = 0;
    return this.#host.handleLine(this, line);
  };

  readonly #readEnded = (): void => {
    try {
      if (!this.#dead) this.#host.endSession(this, "Connection closed");
    } catch (err) {
      this.#host.sessionFinished(this, err);
      return;
    }
    this.#host.sessionFinished(this);
  };

  /** Queues a message for this session. */
  send(out: Outgoing): void {
    this.#out.push(out.bytes(this.tagMask));
  }

  /**
   * Queues bytes (see {@link OutputQueue.push}): written once the current work is done,
   * coalesced with whatever else is queued meanwhile. Past the SendQ cap the output is
   * dropped and the session is ended on a later microtask.
   */
  write(bytes: Uint8Array): void {
    this.#out.push(bytes);
  }

  // bound once; over SendQ this runs on a microtask of its own, never inside a fan-out
  readonly #outputEnded = (reason: OutputEnd): void => {
    if (!this.#dead && !this.#closing) this.#host.endSession(this, reason);
  };

  /**
   * Stops accepting output, lets what is queued (such as a final ERROR) go out within the
   * grace time, then closes the connection. Resolves once it is closed.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#out.pending) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#host.closeGrace * 1000);
      });
      await Promise.race([this.#out.drained(), grace]);
      clearTimeout(timer);
    }
    this.#dead = true;
    this.#out.shut();
    this.conn.close();
  }

  /** Closes at once, dropping queued output (a client that stopped reading). */
  abort(): void {
    this.#closing = true;
    this.#dead = true;
    this.#out.shut();
    this.conn.close();
  }
}
