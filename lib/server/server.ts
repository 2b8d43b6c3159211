/**
 * The chat server: listeners, the tables of users and channels, the dispatch of each input
 * line through the command table, liveness checks, and graceful shutdown.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { FramedLine } from "../protocol/framer.ts";
import { type IrcMessage, parseMessage } from "../protocol/message.ts";
import {
  ERR_INPUTTOOLONG,
  ERR_NEEDMOREPARAMS,
  ERR_NOTREGISTERED,
  ERR_UNKNOWNCOMMAND,
  ERR_UNKNOWNERROR,
} from "../protocol/numerics.ts";
import { type Connection, hostFromAddress, isLoopback } from "../transport/connection.ts";
import { StreamConnection } from "../transport/tcp.ts";
import { listenTls, TlsConnection } from "../transport/tls.ts";
import type { LoginGate } from "../auth/login_gate.ts";
import { maskMatches } from "../protocol/masks.ts";
import type { ChannelRecord, ChatStore, KlineRecord } from "../store/store.ts";
import type { Channel } from "./channel.ts";
import { createLoginGate, enforceNickReservations } from "./accounts.ts";
import { COMMANDS } from "./commands.ts";
import { Context } from "./context.ts";
import { toPeers } from "./delivery.ts";
import type { Limits } from "./limits.ts";
import { errorLine, Outgoing } from "./outgoing.ts";
import { OutputScheduler } from "./output.ts";
import { Session, type SessionHost } from "./session.ts";
import { User } from "./user.ts";

/** Why a line with NUL or a bare CR was refused (FAIL <command> INVALID_CHARACTERS). */
const BAD_CHAR_TEXT = "Lines may not contain NUL or CR characters; this one was not processed";

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
  /** The certificate in use, loaded by the caller before `start()` when TLS is on. */
  tls?: { certPem: string; keyPem: string; selfSigned: boolean };
}

/** A remembered nick for WHOWAS. */
export interface WhowasEntry {
  nick: string;
  folded: string;
  username: string;
  host: string;
  realname: string;
  at: number;
}

/** Counters exposed by metrics and LUSERS. */
export interface ServerStats {
  linesIn: number;
  messagesRelayed: number;
  sendQDrops: number;
  peakUsers: number;
}

/**
 * The server. `start()` opens the listeners and returns once they are bound;
 * `shutdown()` says goodbye to every client and closes everything.
 *
 * @example
 * ```ts ignore
 * const server = new ChatServer(config);
 * await server.start();
 * console.log(server.port);
 * await server.shutdown("Server shutting down");
 * ```
 */
export class ChatServer implements SessionHost {
  readonly config: ServerConfig;
  readonly limits: Limits;
  /** Users by casefolded nick (registered ones and those that claimed a nick while registering). */
  readonly users: Map<string, User> = new Map();
  /** Channels by casefolded name. */
  readonly channels: Map<string, Channel> = new Map();
  readonly sessions: Set<Session> = new Set();
  /** Starts every session's writes; each session's queue comes from it. */
  readonly output: OutputScheduler = new OutputScheduler();
  readonly whowas: WhowasEntry[] = [];
  readonly stats: ServerStats = {
    linesIn: 0,
    messagesRelayed: 0,
    sendQDrops: 0,
    peakUsers: 0,
  };
  readonly createdAt: Date = new Date();
  #perIp: Map<string, number> = new Map();
  #listeners: Deno.Listener[] = [];
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #msgidPrefix: string = Math.floor(Math.random() * 2 ** 40).toString(36);
  #msgidCounter = 0;
  #stopping = false;
  #sessionTasks: Set<Promise<void>> = new Set();
  /** Accounts, registered channels, K-lines and history. */
  readonly store: ChatStore;
  /** Counts, queues and verifies every password attempt and hash. */
  readonly loginGate: LoginGate;
  /** Server bans in force (kept in the store too); loaded by `start()`. */
  klines: KlineRecord[] = [];
  #pruneTimer: ReturnType<typeof setInterval> | undefined;
  /** Users holding a registered nick without being logged in to it. */
  readonly nickDeadlines: Set<User> = new Set();
  #lastThrottleSweep = Date.now();

  constructor(config: ServerConfig, store: ChatStore) {
    this.config = config;
    this.limits = config.limits;
    this.store = store;
    this.loginGate = createLoginGate(config.limits);
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

  /** The bound IRC port (useful when started on port 0); the TLS one when TLS-only. */
  get port(): number {
    const addr = this.#listeners[0]?.addr as Deno.NetAddr | undefined;
    return addr?.port ?? 0;
  }

  /** The bound IRC-over-TLS port, or 0 when there is no TLS listener. */
  get tlsPort(): number {
    return (this.#tlsListener?.addr as Deno.NetAddr | undefined)?.port ?? 0;
  }

  #tlsListener: Deno.TlsListener | undefined;
  /** Which listener `start()` could not open, when it threw. */
  failedListener: "plain" | "tls" | undefined;

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
    this.klines = await this.store.listKlines();
    // the plain port first: "port in use" there reads as before TLS existed
    let plain: Deno.Listener | undefined;
    if (this.config.plaintext !== false) {
      try {
        plain = Deno.listen({ hostname: this.config.host, port: this.config.port });
      } catch (err) {
        this.failedListener = "plain";
        throw err;
      }
    }
    const tls = this.config.tls;
    if (tls && (this.config.tlsPort ?? 0) !== 0) {
      try {
        this.#tlsListener = listenTls({
          hostname: this.config.host,
          port: this.config.tlsPort!,
          certPem: tls.certPem,
          keyPem: tls.keyPem,
        });
      } catch (err) {
        this.failedListener = "tls";
        plain?.close();
        throw err;
      }
    }
    // #listeners[0] is what `port` reports: the TLS port on a TLS-only server
    if (plain) {
      this.#listeners.push(plain);
      this.#acceptLoop(plain, (c) => new StreamConnection(c, "tcp"));
    }
    const tlsListener = this.#tlsListener;
    if (tlsListener) {
      if (!plain) this.#listeners.push(tlsListener);
      this.#acceptLoop(tlsListener, (c) => new TlsConnection(c as Deno.TlsConn));
    }
    const l = this.limits;
    const shortest = Math.min(l.pingInterval, l.pingTimeout, l.registrationTimeout);
    this.#sweepTimer = setInterval(() => {
      try {
        this.#sweep();
      } catch (err) {
        // a bug here must not stop the server: log it, the next sweep tries again
        console.error("sweep failed:", err);
      }
    }, shortest < 5 ? 200 : 1000);
    await this.pruneHistory();
    this.#pruneTimer = setInterval(() => void this.pruneHistory(), 3600_000);
  }

  /** Applies the history retention limits. */
  async pruneHistory(): Promise<void> {
    try {
      await this.store.prune(this.limits.historyDays * 86400_000, this.limits.historyPerTarget);
    } catch (err) {
      console.error(`history pruning failed: ${(err as Error).message}`);
    }
  }

  /** The K-line matching a `user@host`, if any (expired ones are dropped on the way). */
  findKline(userAtHost: string): KlineRecord | undefined {
    if (this.klines.length === 0) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const expired = this.klines.filter((k) => k.expiresAt !== undefined && k.expiresAt <= now);
    for (const k of expired) {
      this.store.removeKline(k.mask).catch((err) =>
        console.error(`removing K-line ${k.mask} failed: ${(err as Error).message}`)
      );
    }
    if (expired.length > 0) this.klines = this.klines.filter((k) => !expired.includes(k));
    return this.klines.find((k) => maskMatches(k.mask, userAtHost));
  }

  /**
   * Renames a user: peers and the user see NICK, WHOWAS remembers the old nick, the nick
   * table follows. The caller has checked that the new nick is valid and free.
   */
  renameUser(user: User, nick: string): void {
    if (user.registered) {
      const change = new Outgoing(user.hostmask, "NICK", [nick]);
      this.rememberNick(user);
      toPeers(user, () => change, true);
    }
    if (this.users.get(user.folded) === user) this.users.delete(user.folded);
    user.setNick(nick);
    this.users.set(user.folded, user);
  }

  /** Saves a registered channel's state after a change; unregistered channels are skipped. */
  persistChannel(channel: Channel): void {
    const reg = channel.registration;
    if (!reg) return;
    const record: ChannelRecord = {
      name: channel.name,
      folded: channel.folded,
      founder: reg.founder,
      registeredAt: reg.registeredAt,
      topic: channel.topic,
      modes: (["i", "m", "n", "s", "t"] as const).filter((f) => channel.flags[f]).join(""),
      key: channel.key,
      limit: channel.limit,
      ops: [...reg.ops],
      bans: channel.bans.map((b) => ({ ...b })),
    };
    this.store.saveChannel(record).catch((err) =>
      console.error(`saving channel ${channel.name} failed: ${(err as Error).message}`)
    );
  }

  async #acceptLoop(listener: Deno.Listener, wrap: (c: Deno.Conn) => Connection): Promise<void> {
    for (;;) {
      let raw: Deno.Conn;
      try {
        raw = await listener.accept();
      } catch (err) {
        if (this.#stopping || err instanceof Deno.errors.BadResource) return;
        // EMFILE and friends: back off briefly rather than spin
        console.error(`accept failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      this.addConnection(wrap(raw));
    }
  }

  /** Takes a new connection from any transport: applies connection limits, starts a session. */
  addConnection(conn: Connection): void {
    if (this.#stopping) {
      conn.close();
      return;
    }
    const ip = conn.remoteAddress;
    const l = this.limits;
    let refusal: string | undefined;
    if (this.sessions.size >= l.maxConnections) refusal = "Server is full, try again later";
    else if ((!isLoopback(ip) || l.limitLoopback) && (this.#perIp.get(ip) ?? 0) >= l.maxPerIp) {
      refusal = "Too many connections from your IP address";
    }
    if (refusal) {
      const bye = errorLine(`Closing Link: ${ip} (${refusal})`);
      conn.write(bye).catch(() => {}).finally(() => conn.close());
      return;
    }
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    const user = new User("*", "*", hostFromAddress(ip), "");
    const session = new Session(this, conn, user, Math.random() * l.pingInterval * 100);
    user.sessions.push(session);
    this.sessions.add(session);
    const task = session.run().catch((err) => {
      console.error(`session error: ${(err as Error).message}`);
      this.endSession(session, "Internal error");
    });
    this.#sessionTasks.add(task);
    task.finally(() => this.#sessionTasks.delete(task));
  }

  /** A fresh unique message id. */
  nextMsgid(): string {
    return this.#msgidPrefix + "-" + (this.#msgidCounter++).toString(36);
  }

  /** A registered user by nick, or undefined. */
  findUser(nick: string): User | undefined {
    const u = this.users.get(casefold(nick));
    return u?.registered ? u : undefined;
  }

  /** A channel by name, or undefined. */
  findChannel(name: string): Channel | undefined {
    return this.channels.get(casefold(name));
  }

  /** Registered users, invisible ones and operators, kept as counters for LUSERS. */
  readonly counts: { users: number; invisible: number; opers: number } = {
    users: 0,
    invisible: 0,
    opers: 0,
  };

  /** Marks a user registered and counts it. */
  markRegistered(user: User): void {
    user.registered = true;
    this.counts.users++;
    if (user.invisible) this.counts.invisible++;
    this.stats.peakUsers = Math.max(this.stats.peakUsers, this.counts.users);
  }

  /** Sets or clears a user's +i, keeping the LUSERS count right. */
  setInvisible(user: User, on: boolean): void {
    if (user.invisible === on) return;
    user.invisible = on;
    if (user.registered) this.counts.invisible += on ? 1 : -1;
  }

  handleLine(session: Session, line: FramedLine): void | Promise<void> {
    this.stats.linesIn++;
    if (line.kind === "too-long") {
      session.send(
        new Outgoing(this.name, ERR_INPUTTOOLONG, [session.user.nick, "Input line was too long"]),
      );
      return;
    }
    if (line.kind === "bad-char") {
      const command = parseMessage(line.text)?.command ?? "*";
      session.send(
        new Outgoing(this.name, "FAIL", [command, "INVALID_CHARACTERS", BAD_CHAR_TEXT]),
      );
      return;
    }
    const msg = parseMessage(line.text);
    if (!msg) return;
    const l = this.limits;
    if (l.floodBurst > 0 && session.user.registered) {
      const now = Date.now();
      session.floodTokens = Math.min(
        l.floodBurst,
        session.floodTokens + ((now - session.floodStamp) / 1000) * l.floodRate,
      );
      session.floodStamp = now;
      if (session.floodTokens < 1) {
        // fakelag: hold this client's input (and so its socket) until a token is due
        const wait = ((1 - session.floodTokens) / l.floodRate) * 1000;
        return new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
          session.floodTokens = 0;
          session.floodStamp = Date.now();
          return this.dispatch(session, msg);
        });
      }
      session.floodTokens -= 1;
    }
    return this.dispatch(session, msg);
  }

  /** Runs one parsed command through the command table, with labeled-response wrapping. */
  dispatch(session: Session, msg: IrcMessage): void | Promise<void> {
    if (session.dead) return;
    const user = session.user;
    const ctx = new Context(this, session, msg);
    const spec = COMMANDS.get(msg.command);
    if (!spec) {
      if (user.registered) ctx.numeric(ERR_UNKNOWNCOMMAND, msg.command, "Unknown command");
      else ctx.numeric(ERR_NOTREGISTERED, "You have not registered");
      return;
    }
    if (spec.registered && !user.registered) {
      ctx.numeric(ERR_NOTREGISTERED, "You have not registered");
      return;
    }
    if (msg.params.length < spec.minParams) {
      ctx.numeric(ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters");
      return;
    }
    const label = session.caps.has("labeled-response") ? msg.tags["label"] : undefined;
    if (label !== undefined && label !== "") session.capture = [];
    let result: void | Promise<void> = undefined;
    try {
      result = spec.handler(ctx);
    } catch (err) {
      this.#internalError(ctx, err);
    }
    if (result instanceof Promise) {
      return result.catch((err) => this.#internalError(ctx, err)).finally(() =>
        this.#finishLabel(session, label)
      );
    }
    this.#finishLabel(session, label);
  }

  #internalError(ctx: Context, err: unknown): void {
    console.error(`error in ${ctx.msg.command}:`, err);
    ctx.numeric(ERR_UNKNOWNERROR, ctx.msg.command, "Internal error; the command was not done");
  }

  /** Sends the replies captured for a labeled command: ACK, one labeled line, or a batch. */
  #finishLabel(session: Session, label: string | undefined): void {
    const captured = session.capture;
    if (!captured) return;
    session.capture = null;
    if (label === undefined) return;
    const mask = session.tagMask;
    if (captured.length === 0) {
      session.write(new Outgoing(this.name, "ACK", []).bytesWith(mask, { label }));
    } else if (captured.length === 1) {
      session.write(captured[0].bytesWith(mask, { label }));
    } else {
      const id = this.nextMsgid();
      session.write(
        new Outgoing(this.name, "BATCH", ["+" + id, "labeled-response"]).bytesWith(mask, { label }),
      );
      for (const out of captured) session.write(out.bytesWith(mask, { batch: id }));
      session.write(new Outgoing(this.name, "BATCH", ["-" + id]).bytes(mask));
    }
  }

  /**
   * Ends a session: tells the client why (unless it stopped reading), removes the user from
   * every channel, shows the QUIT to those who shared one, and closes the connection.
   */
  endSession(session: Session, reason: string, quitMessage: string = reason): void {
    if (session.dead || !this.sessions.has(session)) return;
    this.sessions.delete(session);
    const ip = session.conn.remoteAddress;
    const left = (this.#perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, left);

    const user = session.user;
    user.sessions.splice(user.sessions.indexOf(session), 1);
    if (user.sessions.length === 0) this.#removeUser(user, quitMessage);

    if (reason === "SendQ exceeded") {
      this.stats.sendQDrops++;
      session.abort();
      return;
    }
    session.capture = null;
    session.write(
      errorLine(`Closing Link: ${user.host} (${reason})`),
    );
    session.close();
  }

  #removeUser(user: User, quitMessage: string): void {
    if (user.registered) {
      const quit = new Outgoing(user.hostmask, "QUIT", [quitMessage]);
      toPeers(user, () => quit, false);
      this.rememberNick(user);
    }
    for (const channel of user.channels) {
      channel.members.delete(user);
      if (channel.members.size === 0) this.channels.delete(channel.folded);
    }
    user.channels.clear();
    this.nickDeadlines.delete(user);
    if (this.users.get(user.folded) === user) this.users.delete(user.folded);
    if (user.registered) {
      this.counts.users--;
      if (user.invisible) this.counts.invisible--;
      if (user.oper) this.counts.opers--;
    }
    user.registered = false;
  }

  /** Records a nick for WHOWAS. */
  rememberNick(user: User): void {
    this.whowas.push({
      nick: user.nick,
      folded: user.folded,
      username: user.username,
      host: user.host,
      realname: user.realname,
      at: Date.now(),
    });
    if (this.whowas.length > this.limits.whowasSize) {
      this.whowas.splice(0, this.whowas.length - this.limits.whowasSize);
    }
  }

  #sweep(): void {
    const now = Date.now();
    const l = this.limits;
    if (this.nickDeadlines.size > 0) enforceNickReservations(this, now);
    if (now - this.#lastThrottleSweep > 60_000) {
      this.#lastThrottleSweep = now;
      this.loginGate.sweep(now);
    }
    for (const session of this.sessions) {
      if (!session.user.registered) {
        if (now - session.connectedAt > l.registrationTimeout * 1000) {
          this.endSession(session, "Registration timed out");
        }
        continue;
      }
      if (session.pingSentAt !== 0) {
        if (now - session.pingSentAt > l.pingTimeout * 1000) {
          const secs = Math.round((now - session.lastActivity) / 1000);
          this.endSession(session, `Ping timeout: ${secs} seconds`);
        }
      } else if (now - session.lastActivity > l.pingInterval * 1000 + session.pingJitter) {
        session.pingSentAt = now;
        session.send(new Outgoing(undefined, "PING", [this.name]));
      }
    }
  }

  /**
   * Stops listening, sends every client `ERROR` with the reason, closes all connections and
   * waits (bounded by the close grace time) for them to finish.
   */
  async shutdown(reason = "Server shutting down"): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#sweepTimer);
    clearInterval(this.#pruneTimer);
    const listeners = new Set<Deno.Listener>(this.#listeners);
    if (this.#tlsListener) listeners.add(this.#tlsListener);
    for (const l of listeners) {
      try {
        l.close();
      } catch {
        // already closed
      }
    }
    const closing: Promise<void>[] = [];
    for (const session of [...this.sessions]) {
      this.sessions.delete(session);
      session.capture = null;
      session.write(errorLine(reason));
      closing.push(session.close());
    }
    await Promise.all(closing);
    const pending = [...this.#sessionTasks];
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((r) => (timer = setTimeout(r, this.limits.closeGrace * 1000))),
    ]);
    clearTimeout(timer);
    try {
      await this.store.close();
    } catch (err) {
      console.error(`closing the store failed: ${(err as Error).message}`);
    }
  }
}
