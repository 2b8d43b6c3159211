/**
 * The chat server: its configuration, the wiring of the pieces that own its state (the user,
 * channel and K-line tables, the listeners and admission, dispatch, liveness), the sessions,
 * and start and graceful shutdown.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";
import type { IrcMessage } from "../protocol/message.ts";
import { type Connection, hostFromAddress } from "../transport/connection.ts";
import type { LoginGate } from "../auth/login_gate.ts";
import type { ChatStore } from "../store/store.ts";
import { createLoginGate } from "./accounts.ts";
import { PREFIX_OP } from "./channel.ts";
import { ChannelTable } from "./channels.ts";
import { Dispatcher } from "./dispatch.ts";
import { fillBucket } from "./fakelag.ts";
import { type ClusterStatus, LOCAL_EVENTS, type ServerEvents } from "./events.ts";
import { KlineTable } from "./klines.ts";
import { type LogFormat, loggedEvents, Logger, logReason } from "./log.ts";
import type { Limits } from "./limits.ts";
import { Admission, Listeners } from "./listeners.ts";
import { Liveness } from "./liveness.ts";
import { MetadataTable } from "./metadata.ts";
import { MonitorTable } from "./monitor.ts";
import { ReadMarkers } from "./read_markers.ts";
import { errorLine } from "./outgoing.ts";
import { OutputScheduler } from "./output.ts";
import { Session, type SessionHost } from "./session.ts";
import { User } from "./user.ts";
import { UserTable } from "./users.ts";

/** Refused connections logged each second at most (the others are counted). */
const REFUSALS_PER_SECOND = 10;
/**
 * A refused connection is kept open, reading and dropping what it sent, until the peer closes
 * or this long has passed: closing a socket with unread input resets it, and a reset can make
 * the peer lose the ERROR line that says why it was refused.
 */
const REFUSAL_LINGER_MS = 2000;
/** At most this many refused connections linger at once; a flood of them is closed at once. */
const REFUSALS_LINGERING = 64;

/** Everything the server is configured with at start. */
export interface ServerConfig {
  /** Address to listen on. */
  host: string;
  /** IRC plain-text TCP port (0 picks a free one). */
  port: number;
  /** Server name, as in message sources. */
  name: string;
  /** Network name for ISUPPORT NETWORK and the welcome. */
  network: string;
  /** MOTD lines, or undefined for none. */
  motd: string[] | undefined;
  /** Server password required at PASS, if any. */
  password: string | undefined;
  /** The data folder. */
  dataDir: string;
  /** All limits. */
  limits: Limits;
  /** Port of the web chat and IRC-over-WebSocket endpoint (0 = no web server). */
  httpPort: number;
  /** Serve the web chat over HTTPS/WSS with the TLS certificate when TLS is on. */
  webTls?: boolean;
  /** Which store keeps accounts, channels and history. */
  storeKind: "sqlite" | "memory" | "postgres";
  /** The PostgreSQL URL (no password) with `storeKind` "postgres". */
  storeUrl?: string;
  /** A file holding the PostgreSQL password. */
  storePasswordFile?: string;
  /** Several nodes: the Redis of the bus, and this node's id (undefined: from the data folder). */
  cluster?: { url: string; nodeId: string | undefined };
  /** Only logged-in users may join and send. */
  requireAccount: boolean;
  /** Anyone may register an account (else only operators). */
  openRegistration: boolean;
  /** Operator credentials for OPER: name → password. */
  opers: Map<string, string>;
  /** An operator account to create or reset at start. */
  admin: { name: string; password: string } | undefined;
  /** IRC-over-TLS port (0 = no TLS listener; needs `tls`). */
  tlsPort?: number;
  /** PEM files for TLS from the command line (else the data folder's own certificate). */
  tlsCertFile?: string;
  /** The key for `tlsCertFile`. */
  tlsKeyFile?: string;
  /** Listen on the plain-text port too (false with `--no-plaintext`; default true). */
  plaintext?: boolean;
  /** How the operator's log is written (default text). */
  logFormat?: LogFormat;
  /** Only warnings and errors in the log (no line per connection, login, kick...). */
  quiet?: boolean;
  /** The certificate in use, loaded by the caller before `start()` when TLS is on. */
  tls?: { certPem: string; keyPem: string; selfSigned: boolean };
}

/** Counters exposed by metrics and LUSERS. */
export interface ServerStats {
  linesIn: number;
  messagesRelayed: number;
  sendQDrops: number;
  readonly peakUsers: number;
}

/**
 * The server. `start()` opens the listeners and returns once they are bound;
 * `shutdown()` says goodbye to every client and closes everything.
 *
 * @example
 * ```ts ignore
 * const server = new ChatServer(config, store);
 * await server.start();
 * console.log(server.port);
 * await server.shutdown("Server shutting down");
 * ```
 */
export class ChatServer implements SessionHost {
  readonly config: ServerConfig;
  readonly limits: Limits;
  /** Accounts, registered channels, K-lines and history. */
  readonly store: ChatStore;
  /** Where every change other nodes must see is reported. */
  readonly events: ServerEvents;
  /** The operator's log. */
  readonly log: Logger;
  /** Users by nick, WHOWAS, LUSERS counts, nick reservations. */
  readonly users: UserTable;
  /** MONITOR watch lists (the user table tells it when nicks come and go). */
  readonly monitors: MonitorTable;
  /** Where each user stopped reading each conversation (MARKREAD). */
  readonly readMarkers: ReadMarkers;
  /** Metadata of users and channels, and what each session subscribed to (METADATA). */
  readonly metadata: MetadataTable;
  /** Channels by name and their membership. */
  readonly channels: ChannelTable;
  /** The cluster node this server is, when it is one of several (set before `start()`). */
  cluster: ClusterStatus | undefined = undefined;
  /** Server bans in force. */
  readonly klines: KlineTable;
  /** Every open session. */
  readonly sessions: Set<Session> = new Set();
  /** Starts every session's writes; each session's queue comes from it. */
  readonly output: OutputScheduler = new OutputScheduler();
  readonly stats: ServerStats;
  readonly createdAt: Date = new Date();
  /** Counts, queues and verifies every password attempt and hash. */
  readonly loginGate: LoginGate;
  /**
   * The upload URL advertised as ISUPPORT `soju.im/FILEHOST` (lib/web/uploads.ts), once the
   * web port is up with uploads on; undefined otherwise.
   */
  fileHost: string | undefined;
  readonly #listeners: Listeners;
  readonly #admission: Admission;
  readonly #dispatcher: Dispatcher;
  readonly #liveness: Liveness;
  #msgidPrefix: string = Math.floor(Math.random() * 2 ** 40).toString(36);
  #msgidCounter = 0;
  #stopping = false;
  /** Sessions whose reading has not finished yet (shutdown waits for them). */
  readonly #running: Set<Session> = new Set();
  #pruneTimer: ReturnType<typeof setInterval> | undefined;
  #lastThrottleSweep = Date.now();
  #refusals = { second: 0, logged: 0, unlogged: 0 };
  /** Refused connections still open (see {@link REFUSAL_LINGER_MS}); closed at stop. */
  readonly #lingering = new Set<Connection>();

  constructor(config: ServerConfig, store: ChatStore, events: ServerEvents = LOCAL_EVENTS) {
    this.config = config;
    this.limits = config.limits;
    this.store = store;
    this.events = events;
    this.log = new Logger({ format: config.logFormat, quiet: config.quiet });
    this.loginGate = createLoginGate(config.limits);
    this.monitors = new MonitorTable(config.name);
    this.readMarkers = new ReadMarkers(store, () => config.limits.readMarkersInMemory);
    // the tables report through the log (registrations, kicks, bans); messages do not
    const observed = loggedEvents(events, this.log);
    this.users = new UserTable(config.limits, store, observed, this.monitors, this.eventTags);
    this.channels = new ChannelTable(store, observed);
    this.metadata = new MetadataTable(config.limits, store, observed);
    this.klines = new KlineTable(store);
    const users = this.users;
    this.stats = {
      linesIn: 0,
      messagesRelayed: 0,
      sendQDrops: 0,
      get peakUsers() {
        return users.counts.peak;
      },
    };
    this.#listeners = new Listeners(config, config.limits, (conn) => this.addConnection(conn));
    this.#admission = new Admission(config.limits);
    this.#dispatcher = new Dispatcher(this);
    this.#liveness = new Liveness(this, (now) => this.#housekeeping(now));
  }

  /** The server name, the source of numerics. */
  get name(): string {
    return this.config.name;
  }

  get sendQ(): number {
    return this.limits.sendQ;
  }

  get closeGrace(): number {
    return this.limits.closeGrace;
  }

  /** The LUSERS counts (registered users, invisible ones, operators). */
  get counts(): { readonly users: number; readonly invisible: number; readonly opers: number } {
    return this.users.counts;
  }

  /** The bound IRC port (useful when started on port 0); the TLS one when TLS-only. */
  get port(): number {
    return this.#listeners.port;
  }

  /** The bound IRC-over-TLS port, or 0 when there is no TLS listener. */
  get tlsPort(): number {
    return this.#listeners.tlsPort;
  }

  /** Which listener `start()` could not open, when it threw. */
  get failedListener(): "plain" | "tls" | undefined {
    return this.#listeners.failed;
  }

  /** What the `sts` capability advertises: the TLS port and whether its certificate is self-signed. */
  get stsTarget(): { port: number; selfSigned: boolean } | undefined {
    const tls = this.config.tls;
    return tls && this.tlsPort !== 0
      ? { port: this.tlsPort, selfSigned: tls.selfSigned }
      : undefined;
  }

  /**
   * Loads the K-lines, binds the listeners and starts accepting. Rejects with
   * Deno.errors.AddrInUse and the like.
   */
  async start(): Promise<void> {
    // before anything listens: no connection may come in ahead of the bans
    await this.klines.load();
    try {
      await this.restoreAlwaysOn();
    } catch (err) {
      // the server is still useful without them: say so and go on
      console.error(`restoring always-on users failed: ${(err as Error).message}`);
    }
    this.#listeners.start();
    this.#liveness.start();
    await this.pruneHistory();
    this.#pruneTimer = setInterval(() => void this.pruneHistory(), 3600_000);
  }

  /** Applies the history retention limits. */
  async pruneHistory(): Promise<void> {
    try {
      await this.store.prune(this.limits.historyDays * 86400_000, this.limits.historyPerTarget);
    } catch (err) {
      this.log.error("history-pruning-failed", { error: (err as Error).message });
    }
  }

  #housekeeping(now: number): void {
    this.users.enforceReservations(now);
    if (now - this.#lastThrottleSweep > 60_000) {
      this.#lastThrottleSweep = now;
      this.loginGate.sweep(now);
    }
  }

  /** Takes a new connection from any transport: applies connection limits, starts a session. */
  addConnection(conn: Connection): void {
    if (this.#stopping) {
      conn.close();
      return;
    }
    const ip = conn.remoteAddress;
    const host = hostFromAddress(ip);
    // a banned address gets no command at all (no REGISTER, no password guesses); bans on a
    // user name are checked again at registration, when it is known
    const kline = this.klines.findForHost(host);
    const refusal = kline
      ? `K-Lined: ${kline.reason}`
      : this.#admission.admit(ip, this.sessions.size);
    if (refusal) {
      this.#logRefusal(ip, conn.kind, refusal);
      this.#refuse(conn, errorLine(`Closing Link: ${ip} (${refusal})`));
      return;
    }
    this.log.info("connect", { ip, via: conn.kind });
    const user = new User("*", "*", host, "");
    const session = new Session(this, conn, user, Math.random() * this.limits.pingInterval * 100);
    fillBucket(session, this.limits, Date.now());
    user.sessions.push(session);
    this.sessions.add(session);
    this.#running.add(session);
    void session.run();
  }

  /** A session's reading has finished (see {@link SessionHost.sessionFinished}). */
  sessionFinished(session: Session, error?: unknown): void {
    this.#running.delete(session);
    if (error === undefined) return;
    this.log.error("session-error", {
      ip: session.conn.remoteAddress,
      error: (error as Error)?.message ?? String(error),
    });
    this.endSession(session, "Internal error");
  }

  /** Sends a refused connection its ERROR line and closes it without losing that line. */
  #refuse(conn: Connection, bye: Uint8Array): void {
    const linger = this.#lingering.size < REFUSALS_LINGERING;
    if (linger) this.#lingering.add(conn);
    conn.write(bye).catch(() => {}).finally(() => {
      if (!linger || this.#stopping) return this.#dropRefused(conn);
      // the peer reads the end right after ERROR; what it sent meanwhile is read and dropped
      conn.closeWrite?.();
      const timer = setTimeout(() => conn.close(), REFUSAL_LINGER_MS);
      conn.readLines(() => {}).finally(() => {
        clearTimeout(timer);
        this.#dropRefused(conn);
      });
    });
  }

  #dropRefused(conn: Connection): void {
    this.#lingering.delete(conn);
    conn.close();
  }

  /**
   * Logs a refused connection, at most {@link REFUSALS_PER_SECOND} a second: a flood of
   * refused connections must not become a flood of log lines. The next line written says how
   * many were left out.
   */
  #logRefusal(ip: string, via: string, reason: string): void {
    if (!this.log.verbose) return;
    const second = Math.floor(Date.now() / 1000);
    const r = this.#refusals;
    if (r.second !== second) {
      r.second = second;
      r.logged = 0;
    }
    if (r.logged >= REFUSALS_PER_SECOND) {
      r.unlogged++;
      return;
    }
    r.logged++;
    const unlogged = r.unlogged > 0 ? r.unlogged : undefined;
    r.unlogged = 0;
    this.log.info("refused", { ip, via, reason, unlogged });
  }

  /** A fresh unique message id. */
  nextMsgid(): string {
    return this.#msgidPrefix + "-" + (this.#msgidCounter++).toString(36);
  }

  /**
   * A point in this process's sequence of msgids: every msgid made after it compares as
   * later (see {@link ChatServer.madeBefore}), even within the same millisecond.
   */
  msgidMark(): number {
    return this.#msgidCounter;
  }

  /**
   * Whether this process made `msgid` before `mark` (a {@link ChatServer.msgidMark}), or
   * undefined when another process made it (an earlier run, another node): then only its
   * time can tell.
   */
  madeBefore(msgid: string, mark: number): boolean | undefined {
    const dash = msgid.lastIndexOf("-");
    if (dash < 0 || msgid.slice(0, dash) !== this.#msgidPrefix) return undefined;
    return parseInt(msgid.slice(dash + 1), 36) < mark;
  }

  /**
   * The tags of a state change others see (JOIN, PART, QUIT, NICK, KICK, MODE, TOPIC): its
   * server-time and a msgid, taken once for the event; each tag form of its message is
   * encoded once, and a session gets only the tags its caps allow (see caps.ts).
   */
  readonly eventTags = (): Record<string, string> => ({
    time: new Date().toISOString(),
    msgid: this.nextMsgid(),
  });

  /** The same, bound: batch ids for response buffers (a msgid is a valid batch reference). */
  readonly nextBatchId = (): string => this.nextMsgid();

  /** Handles one input line of a session (see {@link Dispatcher}). */
  handleLine(session: Session, line: FramedLine): void | Promise<void> {
    return this.#dispatcher.handleLine(session, line);
  }

  /** Runs one parsed command through the command table (see {@link Dispatcher}). */
  dispatch(session: Session, msg: IrcMessage): void | Promise<void> {
    return this.#dispatcher.dispatch(session, msg);
  }

  /**
   * Ends a session: tells the client why (unless it stopped reading), removes the user from
   * every channel, shows the QUIT to those who shared one, and closes the connection.
   */
  endSession(session: Session, reason: string, quitMessage: string = reason): void {
    if (session.dead || !this.sessions.has(session)) return;
    this.sessions.delete(session);
    this.#admission.release(session.conn.remoteAddress);
    this.monitors.clear(session);

    const user = session.user;
    this.log.info("disconnect", {
      nick: user.nick,
      ip: session.conn.remoteAddress,
      reason: logReason(reason),
    });
    if (this.users.detach(session) === 0) {
      // always-on: the user stays in its channels, away, until a device returns
      if (user.alwaysOn && user.registered) this.users.refreshAway(user);
      else this.removeUser(user, quitMessage);
    }

    if (reason === "SendQ exceeded") {
      this.stats.sendQDrops++;
      session.abort();
      return;
    }
    session.write(errorLine(`Closing Link: ${user.host} (${reason})`));
    session.close();
  }

  /** Takes a user off the server (its last device left, or it was killed): peers see QUIT. */
  removeUser(user: User, quitMessage: string): void {
    // peers are found through the channels: the QUIT goes out before the user leaves them
    this.users.remove(user, quitMessage);
    this.channels.quit(user);
  }

  /**
   * Brings back the always-on users of the store (NickServ SET always-on) as they were: same
   * nick, in the same channels, away, with no device connected until one logs in.
   */
  async restoreAlwaysOn(): Promise<number> {
    let restored = 0;
    for (const entry of await this.store.listAlwaysOn()) {
      const s = entry.state;
      const user = new User(s.nick, s.username, s.host, s.realname);
      if (this.users.holder(s.nick) || this.users.findAccount(entry.folded)) continue;
      this.users.rename(user, s.nick);
      this.users.setAccount(user, entry.name);
      user.alwaysOn = true;
      user.detachedAt = Date.now();
      this.users.markRegistered(user);
      this.users.refreshAway(user);
      for (const name of s.channels) {
        const channel = this.channels.find(name) ?? await this.channels.make(name);
        if (channel.members.has(user) || user.channels.size >= this.limits.channelsPerUser) {
          continue;
        }
        const trusted = channel.registration?.ops.has(entry.folded) === true;
        const first = channel.members.size === 0 && !channel.registration;
        this.channels.join(channel, user, trusted || first ? PREFIX_OP : 0);
      }
      restored++;
    }
    return restored;
  }

  /**
   * Stops listening, sends every client `ERROR` with the reason, closes all connections and
   * waits (bounded by the close grace time) for them to finish.
   */
  async shutdown(reason = "Server shutting down"): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#liveness.stop();
    clearInterval(this.#pruneTimer);
    this.#listeners.close();
    this.log.info("shutdown", { sessions: this.sessions.size, reason });
    for (const conn of [...this.#lingering]) this.#dropRefused(conn);
    const closing: Promise<void>[] = [];
    for (const session of [...this.sessions]) {
      this.sessions.delete(session);
      session.write(errorLine(reason));
      closing.push(session.close());
    }
    await Promise.all(closing);
    const pending = [...this.#running].map((s) => s.run());
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((r) => (timer = setTimeout(r, this.limits.closeGrace * 1000))),
    ]);
    clearTimeout(timer);
    try {
      await this.channels.recordFloors();
    } catch (err) {
      this.log.error("saving-history-floors-failed", { error: (err as Error).message });
    }
    try {
      await this.store.close();
    } catch (err) {
      this.log.error("closing-store-failed", { error: (err as Error).message });
    }
  }
}
