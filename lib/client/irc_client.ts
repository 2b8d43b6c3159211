/**
 * The IRC client proper: connection, registration with CAP negotiation, channel state,
 * turning server messages into {@link ClientEvent}s, lag measurement, and reconnection
 * with exponential backoff and jitter that rejoins the channels. It knows nothing of
 * terminals; a UI sets {@link IrcClient.onEvent} and calls {@link IrcClient.perform}.
 *
 * @module
 */

import { type IrcMessage, message, parseMessage, serializeMessage } from "../protocol/message.ts";
import { casefold } from "../protocol/casemap.ts";
import * as N from "../protocol/numerics.ts";
import { type Connection, dial, type Dialer, type ServerTarget } from "./connection.ts";
import { describeNumeric } from "../shared/numeric_text.ts";
import type { Action } from "../shared/input_commands.ts";
import {
  ACTIVE_WINDOW,
  type ChatLine,
  type ClientEvent,
  type LineKind,
  STATUS_WINDOW,
} from "./events.ts";
import { SOFTWARE, VERSION } from "../version.ts";
import { parseStsValue, type StsValue } from "./sts.ts";
import { encodePlain } from "../shared/sasl_plain.ts";
import { TERMINAL_CAPS } from "../shared/client_defaults.ts";
import { mentions, sourceNick as nickOf, splitText } from "../shared/message_text.ts";

/**
 * Capabilities the client asks for when the server offers them (the shared list).
 *
 * @example
 * ```ts
 * import { WANTED_CAPS } from "./irc_client.ts";
 * WANTED_CAPS.includes("server-time"); // true
 * ```
 */
export const WANTED_CAPS: readonly string[] = TERMINAL_CAPS;

/**
 * Account credentials for SASL PLAIN.
 *
 * @example
 * ```ts
 * import type { Credentials } from "./irc_client.ts";
 * const c: Credentials = { account: "ann", password: "correct horse" };
 * ```
 */
export interface Credentials {
  /** The account name. */
  account: string;
  /** Its password (never shown, never logged). */
  password: string;
}

/**
 * Options of {@link IrcClient}.
 *
 * @example
 * ```ts
 * import type { IrcClientOptions } from "./irc_client.ts";
 * const o: IrcClientOptions = {
 *   target: { host: "localhost", port: 6667, tls: false },
 *   nick: "ann",
 *   channels: ["#lobby"],
 * };
 * ```
 */
export interface IrcClientOptions {
  /** The server. */
  target: ServerTarget;
  /** The wanted nick. */
  nick: string;
  /** The user name sent in USER (default: the nick). */
  username?: string;
  /** The real name sent in USER. */
  realname?: string;
  /** Channels to join once registered. */
  channels: string[];
  /** How to connect (default: TCP/TLS via {@link dial}). */
  dialer?: Dialer;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** Give up when the very first connection attempt fails (default false). */
  giveUpIfFirstConnectFails?: boolean;
  /** First reconnection delay in ms (default 1000). */
  backoffInitialMs?: number;
  /** Longest reconnection delay in ms (default 30000). */
  backoffMaxMs?: number;
  /** Random source for jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Interval of lag PINGs in ms (default 30000). */
  pingIntervalMs?: number;
  /** Drop the connection after this long without any line from the server (default 120000). */
  idleTimeoutMs?: number;
  /** Log in with SASL PLAIN at every connect (`--user`/`--password-file`). */
  sasl?: Credentials;
  /**
   * Keeps what a server said with `sts` over TLS: use only TLS on `port` for `duration`
   * seconds (0 = forget). Without it the client still upgrades when asked, but remembers
   * nothing. See lib/client/sts.ts.
   */
  recordStsPolicy?: (host: string, port: number, durationSeconds: number) => Promise<void>;
}

/**
 * Connection state shown in the status line.
 *
 * @example
 * ```ts
 * import type { ConnState } from "./irc_client.ts";
 * const s: ConnState = "connected";
 * ```
 */
export type ConnState = "connecting" | "registering" | "connected" | "waiting" | "closed";

/**
 * A member of a channel.
 *
 * @example
 * ```ts
 * import type { Member } from "./irc_client.ts";
 * const m: Member = { nick: "ann", prefixes: "@" };
 * ```
 */
export interface Member {
  /** Nick as the server spells it. */
  nick: string;
  /** Prefix symbols such as "@" or "@+". */
  prefixes: string;
}

/**
 * What the client knows about a channel it is on.
 *
 * @example
 * ```ts
 * import type { ChannelState } from "./irc_client.ts";
 * const c: ChannelState = { name: "#a", topic: "", members: new Map() };
 * ```
 */
export interface ChannelState {
  /** The name as the server spells it. */
  name: string;
  /** The topic, or "". */
  topic: string;
  /** Members by casefolded nick. */
  members: Map<string, Member>;
}

/**
 * The delay before reconnection attempt `attempt` (0-based): exponential from `initialMs`,
 * capped at `maxMs`, then scaled by a jitter factor in [0.5, 1.0) so many clients
 * dropped at once do not come back at the same instant.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./irc_client.ts";
 * backoffDelay(0, 1000, 30000, () => 0.5); // 750
 * backoffDelay(10, 1000, 30000, () => 0); // 15000
 * ```
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

function userhostOf(source: string | undefined): string {
  if (!source) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? "" : source.slice(bang + 1);
}

const JOIN_ERRORS = new Set([
  N.ERR_NOSUCHCHANNEL,
  N.ERR_TOOMANYCHANNELS,
  N.ERR_CHANNELISFULL,
  N.ERR_INVITEONLYCHAN,
  N.ERR_BANNEDFROMCHAN,
  N.ERR_BADCHANNELKEY,
  N.ERR_BADCHANMASK,
]);

const STATUS_NUMERICS = new Set([
  N.RPL_WELCOME,
  N.RPL_YOURHOST,
  N.RPL_CREATED,
  N.RPL_MYINFO,
  N.RPL_LUSERCLIENT,
  N.RPL_LUSEROP,
  N.RPL_LUSERUNKNOWN,
  N.RPL_LUSERCHANNELS,
  N.RPL_LUSERME,
  N.RPL_LOCALUSERS,
  N.RPL_GLOBALUSERS,
  N.RPL_MOTD,
  N.ERR_NOMOTD,
  "250",
]);

/**
 * An IRC client connection with its state. Create it, set `onEvent`, call `start()`.
 *
 * @example
 * ```ts
 * import { IrcClient } from "./irc_client.ts";
 * const client = new IrcClient({
 *   target: { host: "127.0.0.1", port: 6667, tls: false },
 *   nick: "ann",
 *   channels: ["#lobby"],
 * });
 * client.onEvent = (e) => console.log(e);
 * // client.start(); ... await client.quit("bye");
 * ```
 */
export class IrcClient {
  /** Receives every event; set by the UI before start(). */
  onEvent: (e: ClientEvent) => void = () => {};

  readonly #opts: IrcClientOptions;
  readonly #dialer: Dialer;
  readonly #random: () => number;
  #conn: Connection | undefined;
  #state: ConnState = "closed";
  #nick: string;
  #wantedNick: string;
  #nickTries = 0;
  #registered = false;
  #everRegistered = false;
  #serverName = "";
  #caps = new Set<string>();
  #capLs: string[] = [];
  /** Capabilities the server offers, with their values. */
  #offered = new Map<string, string>();
  /** Credentials for SASL at connect (from the options, or remembered after /login). */
  #sasl: Credentials | undefined;
  /** A SASL exchange in progress on this connection. */
  #saslPending: Credentials | undefined;
  /** A NickServ IDENTIFY waiting for its answer, to remember the credentials on success. */
  #identifyPending: Credentials | undefined;
  /** Open batches by reference tag: their type (e.g. "chathistory"). */
  #batches = new Map<string, string>();
  #account: string | undefined;
  #prefixModes = "ov";
  #prefixSymbols = "@+";
  #chanTypes = "#&";
  #lagMs: number | undefined;
  #lastRecv = 0;
  #stopped = false;
  #started = false;
  #sleepCancel: (() => void) | undefined;
  #syncSeq = 0;
  #syncWaiters = new Map<string, () => void>();
  #readyWaiters: (() => void)[] = [];
  #pendingJoins = new Set<string>();
  #focusJoins = new Set<string>();
  #wanted = new Map<string, { name: string; key?: string }>();
  #names = new Map<string, Member[]>();
  /** Where to connect: the given server, moved to its TLS port when it asks with `sts`. */
  #target: ServerTarget;
  /** The server asked for TLS (`sts` on a plain connection): reconnect at once. */
  #stsUpgrade = false;
  #closedResolve!: () => void;
  /** Resolves once the client stopped for good (quit, stop, or gave up). */
  readonly closed: Promise<void>;
  /** Channels we are on, by casefolded name. */
  readonly channels = new Map<string, ChannelState>();

  constructor(opts: IrcClientOptions) {
    this.#opts = opts;
    this.#target = opts.target;
    this.#dialer = opts.dialer ?? dial;
    this.#random = opts.random ?? Math.random;
    this.#nick = opts.nick;
    this.#wantedNick = opts.nick;
    this.#sasl = opts.sasl;
    for (const c of opts.channels) this.#wanted.set(casefold(c), { name: c });
    if (opts.channels.length > 0) this.#focusJoins.add(casefold(opts.channels[0]));
    this.closed = new Promise((r) => this.#closedResolve = r);
  }

  /** Our current nick. */
  get nick(): string {
    return this.#nick;
  }
  /** The connection state. */
  get state(): ConnState {
    return this.#state;
  }
  /** Registered and able to send. */
  get connected(): boolean {
    return this.#registered && this.#conn !== undefined;
  }
  /** Round-trip time of the last lag PING in ms, if measured. */
  get lagMs(): number | undefined {
    return this.#lagMs;
  }
  /** The capabilities the server acknowledged. */
  get caps(): ReadonlySet<string> {
    return this.#caps;
  }
  /** The account we are logged in to, if any. */
  get account(): string | undefined {
    return this.#account;
  }
  /** "host:port" of the server. */
  get serverLabel(): string {
    const { host, port } = this.#target;
    return `${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  /** Whether a name is a channel by this server's channel types. */
  isChannel(name: string): boolean {
    return name !== "" && this.#chanTypes.includes(name[0]);
  }

  /** The nicks on a channel (empty for unknown channels), sorted case-insensitively. */
  nicksIn(channel: string): string[] {
    const ch = this.channels.get(casefold(channel));
    if (!ch) return [];
    return [...ch.members.values()].map((m) => m.nick).sort((a, b) =>
      casefold(a) < casefold(b) ? -1 : 1
    );
  }

  /**
   * A channel's members as a member list shows them: highest status first (in the order of
   * the server's PREFIX), then by nick, case-insensitively.
   */
  rankedMembers(channel: string): Member[] {
    const ch = this.channels.get(casefold(channel));
    if (!ch) return [];
    const symbols = this.#prefixSymbols;
    const rank = (m: Member) => m.prefixes === "" ? symbols.length : symbols.indexOf(m.prefixes[0]);
    return [...ch.members.values()].sort((a, b) =>
      rank(a) - rank(b) || (casefold(a.nick) < casefold(b.nick) ? -1 : 1)
    );
  }

  /** Starts connecting (and reconnecting); returns at once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run().catch((e) => {
      this.#emitLine(STATUS_WINDOW, "error", `Client failure: ${String(e)}`);
      this.#finish();
    });
  }

  /**
   * Resolves true once registered and every channel asked for has been joined or refused,
   * or false after `timeoutMs` or when the client stops.
   */
  ready(timeoutMs = 15000): Promise<boolean> {
    if (this.#isReady()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#readyWaiters.push(() => finish(true));
      this.closed.then(() => finish(false));
    });
  }

  /**
   * Sends a PING and resolves true when its PONG arrives, which means the server has
   * processed everything sent before; false on timeout or when not connected.
   */
  sync(timeoutMs = 10000): Promise<boolean> {
    if (!this.connected) return Promise.resolve(false);
    const token = `sync-${++this.#syncSeq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#syncWaiters.delete(token);
        resolve(false);
      }, timeoutMs);
      this.#syncWaiters.set(token, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.send(message("PING", [token]));
    });
  }

  /** Sends a message if connected; returns whether it was handed to the connection. */
  send(msg: IrcMessage): boolean {
    return this.sendRaw(serializeMessage(msg));
  }

  /** Sends a raw line if connected; returns whether it was handed to the connection. */
  sendRaw(line: string): boolean {
    const conn = this.#conn;
    if (!conn || this.#state === "connecting") return false;
    // a line must never carry CR/LF: that would smuggle a second command
    // deno-lint-ignore no-control-regex
    const clean = line.replace(/[\r\n\x00]/g, " ");
    conn.write(clean).catch(() => conn.close());
    return true;
  }

  /**
   * Carries out the network part of an action: say, action, notice, send, raw, nick,
   * join. Returns false if it needs a connection and there is none (the caller should keep
   * the user's text). Other actions are the UI's and return true untouched.
   */
  perform(action: Action): boolean {
    switch (action.kind) {
      case "say":
      case "action":
      case "notice":
        return this.#sendText(action.kind, action.target, action.text);
      case "send":
        if (!this.connected) return false;
        for (const m of action.messages) this.send(m);
        return true;
      case "raw":
        return this.connected && this.sendRaw(action.line);
      case "nick":
        if (!this.connected) return false;
        this.#wantedNick = action.nick;
        return this.send(message("NICK", [action.nick]));
      case "register":
        return this.#register(action.password, action.email);
      case "login":
        return this.#login({ account: action.account ?? this.#nick, password: action.password });
      case "join": {
        for (const c of action.channels) {
          this.#wanted.set(casefold(c), { name: c, key: action.keys });
          this.#focusJoins.add(casefold(c));
        }
        if (!this.connected) return false;
        const params = [action.channels.join(",")];
        if (action.keys) params.push(action.keys);
        return this.send(message("JOIN", params));
      }
      default:
        return true;
    }
  }

  /** Sends QUIT, waits briefly for the server to close, and stops for good. */
  async quit(reason = "Leaving"): Promise<void> {
    this.#stopped = true;
    this.#sleepCancel?.();
    const conn = this.#conn;
    if (conn) {
      this.sendRaw(serializeMessage(message("QUIT", [reason])));
      const timer = new Promise<void>((r) => {
        const t = setTimeout(r, 2000);
        this.closed.then(() => clearTimeout(t));
      });
      await Promise.race([this.closed, timer]);
      conn.close();
    }
    if (!this.#started) this.#finish();
    await this.closed;
  }

  /** Stops at once, without QUIT. */
  stop(): void {
    this.#stopped = true;
    this.#sleepCancel?.();
    this.#conn?.close();
    if (!this.#started) this.#finish();
  }

  // ---------------------------------------------------------------- internals

  #finish(): void {
    this.#setState("closed");
    this.#closedResolve();
  }

  #setState(s: ConnState): void {
    this.#state = s;
    this.onEvent({ type: "state" });
  }

  #emit(line: ChatLine): void {
    this.onEvent({ type: "line", line });
  }

  #emitLine(window: string, kind: LineKind, text: string, extra: Partial<ChatLine> = {}): void {
    this.#emit({ time: new Date(), window, kind, text, ...extra });
  }

  #isReady(): boolean {
    return this.connected && this.#pendingJoins.size === 0;
  }

  #checkReady(): void {
    if (!this.#isReady()) return;
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#sleepCancel = undefined;
        resolve();
      }, ms);
      this.#sleepCancel = () => {
        clearTimeout(t);
        this.#sleepCancel = undefined;
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let first = true;
    while (!this.#stopped) {
      const target = this.#target;
      this.#setState("connecting");
      this.#emitLine(STATUS_WINDOW, "info", `Connecting to ${this.serverLabel}…`);
      let conn: Connection | undefined;
      try {
        conn = await this.#dialer(target);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        this.#emitLine(
          ACTIVE_WINDOW,
          "error",
          `Could not connect to ${this.serverLabel}: ${why}`,
        );
        if (first && this.#opts.giveUpIfFirstConnectFails) break;
        // a refused certificate stays refused: retrying would repeat the warning forever
        if ((e as { fatal?: boolean }).fatal === true) {
          this.#emitLine(
            ACTIVE_WINDOW,
            "error",
            "Not reconnecting. Fix the trust problem above, then start chat-client again.",
          );
          break;
        }
      }
      first = false;
      if (conn) {
        if (this.#stopped) {
          conn.close();
          break;
        }
        await this.#session(conn);
        if (this.#registered) attempt = 0;
        this.#afterSession();
        if (this.#stsUpgrade && !this.#stopped) {
          // not a lost connection: go straight to the TLS port, no delay
          this.#stsUpgrade = false;
          continue;
        }
        if (this.#stopped) break;
        this.#emitLine(ACTIVE_WINDOW, "error", "Disconnected from the server.");
      }
      if (this.#opts.reconnect === false || this.#stopped) break;
      const delay = backoffDelay(
        attempt++,
        this.#opts.backoffInitialMs ?? 1000,
        this.#opts.backoffMaxMs ?? 30000,
        this.#random,
      );
      this.#setState("waiting");
      this.#emitLine(
        ACTIVE_WINDOW,
        "info",
        `Reconnecting in ${(delay / 1000).toFixed(1)} s… (your typed text is kept)`,
      );
      await this.#sleep(delay);
    }
    this.#finish();
  }

  #afterSession(): void {
    this.#conn = undefined;
    this.#registered = false;
    this.#lagMs = undefined;
    // keep the channels we were on (and asked for) to rejoin them
    for (const [key, ch] of this.channels) {
      if (!this.#wanted.has(key)) this.#wanted.set(key, { name: ch.name });
    }
    this.channels.clear();
  }

  async #session(conn: Connection): Promise<void> {
    this.#conn = conn;
    this.#registered = false;
    this.#caps = new Set();
    this.#capLs = [];
    this.#offered = new Map();
    this.#batches = new Map();
    this.#saslPending = undefined;
    this.#identifyPending = undefined;
    this.#account = undefined;
    this.#nickTries = 0;
    this.#nick = this.#wantedNick;
    this.#setState("registering");
    const user = this.#opts.username ?? this.#wantedNick.replace(/[^A-Za-z0-9]/g, "") ?? "user";
    this.sendRaw("CAP LS 302");
    this.send(message("NICK", [this.#nick]));
    this.send(
      message("USER", [user || "user", "0", "*", this.#opts.realname ?? `${SOFTWARE} user`]),
    );
    this.#lastRecv = Date.now();
    const interval = this.#opts.pingIntervalMs ?? 30000;
    const idle = this.#opts.idleTimeoutMs ?? 120000;
    const timer = setInterval(() => {
      if (Date.now() - this.#lastRecv > idle) {
        this.#emitLine(ACTIVE_WINDOW, "error", "The server stopped answering.");
        conn.close();
        return;
      }
      if (this.#registered) this.send(message("PING", [`lag-${Date.now()}`]));
    }, Math.min(interval, idle));
    try {
      for await (const line of conn.lines()) {
        this.#lastRecv = Date.now();
        const msg = parseMessage(line);
        if (!msg) continue;
        try {
          this.#handle(msg);
        } catch (e) {
          this.#emitLine(STATUS_WINDOW, "error", `Could not handle "${line}": ${String(e)}`);
        }
      }
    } finally {
      clearInterval(timer);
      conn.close();
    }
  }

  #timeOf(msg: IrcMessage): Date {
    const t = msg.tags["time"];
    if (t) {
      const d = new Date(t);
      if (!Number.isNaN(d.getTime())) return d;
    }
    return new Date();
  }

  #isMe(nick: string): boolean {
    return casefold(nick) === casefold(this.#nick);
  }

  #handle(msg: IrcMessage): void {
    const p = msg.params;
    const from = nickOf(msg.source);
    const time = this.#timeOf(msg);
    switch (msg.command) {
      case "PING":
        this.send(message("PONG", p));
        return;
      case "PONG": {
        const token = p[p.length - 1] ?? "";
        if (token.startsWith("lag-")) {
          const sent = Number(token.slice(4));
          if (Number.isFinite(sent)) {
            this.#lagMs = Math.max(0, Date.now() - sent);
            this.onEvent({ type: "state" });
          }
        }
        const waiter = this.#syncWaiters.get(token);
        if (waiter) {
          this.#syncWaiters.delete(token);
          waiter();
        }
        return;
      }
      case "CAP":
        this.#handleCap(p);
        return;
      case "BATCH": {
        const ref = p[0] ?? "";
        if (ref.startsWith("+")) this.#batches.set(ref.slice(1), (p[1] ?? "").toLowerCase());
        else if (ref.startsWith("-")) this.#batches.delete(ref.slice(1));
        return;
      }
      case "AUTHENTICATE":
        if (p[0] === "+" && this.#saslPending) {
          const { account, password } = this.#saslPending;
          for (const chunk of encodePlain(account, password)) {
            this.sendRaw(`AUTHENTICATE ${chunk}`);
          }
        }
        return;
      case "REGISTER":
        if ((p[0] ?? "").toUpperCase() === "SUCCESS") {
          this.#emitLine(
            ACTIVE_WINDOW,
            "info",
            `The account ${p[1] ?? ""} is registered and you are logged in to it.`,
          );
        }
        return;
      case "FAIL":
      case "WARN":
      case "NOTE": {
        // IRCv3 standard replies: COMMAND CODE [context...] :description
        const text = p[p.length - 1] ?? "";
        const what = (p[0] ?? "").toUpperCase();
        this.#emitLine(
          ACTIVE_WINDOW,
          msg.command === "FAIL" ? "error" : "info",
          what === "REGISTER" && msg.command === "FAIL"
            ? `Could not register the account: ${text}.`
            : text,
        );
        return;
      }
      case N.RPL_LOGGEDIN:
        this.#account = p[2] ?? this.#account;
        if (this.#identifyPending) this.#sasl = this.#identifyPending;
        this.#identifyPending = undefined;
        this.#emitLine(STATUS_WINDOW, "info", `You are logged in as ${p[2] ?? "?"}.`);
        this.onEvent({ type: "state" });
        return;
      case N.RPL_LOGGEDOUT:
        this.#account = undefined;
        this.#emitLine(STATUS_WINDOW, "info", "You are logged out.");
        return;
      case N.RPL_SASLSUCCESS:
        if (this.#saslPending) this.#sasl = this.#saslPending;
        this.#saslPending = undefined;
        if (!this.#registered) this.sendRaw("CAP END");
        return;
      case N.ERR_SASLFAIL:
      case N.ERR_SASLTOOLONG:
      case N.ERR_SASLABORTED:
      case N.ERR_SASLALREADY: {
        const who = this.#saslPending?.account ?? "your account";
        if (msg.command !== N.ERR_SASLALREADY) {
          this.#emitLine(
            ACTIVE_WINDOW,
            "error",
            `Logging in as ${who} failed (${p[p.length - 1] ?? "SASL failed"}); ` +
              "you are connected without an account.",
          );
        }
        this.#saslPending = undefined;
        if (!this.#registered) this.sendRaw("CAP END");
        return;
      }
      case N.RPL_SASLMECHS:
        return;
      case "ERROR":
        this.#emit({
          time,
          window: ACTIVE_WINDOW,
          kind: this.#stopped ? "info" : "error",
          text: `The server closed the link: ${p[0] ?? ""}`,
        });
        return;
      case N.RPL_WELCOME:
        this.#onWelcome(msg);
        break;
      case N.RPL_ISUPPORT:
        this.#onIsupport(p.slice(1, -1));
        return;
      case N.ERR_NICKNAMEINUSE:
      case N.ERR_ERRONEUSNICKNAME:
      case "437":
        if (!this.#registered) {
          this.#nextNick(msg.command, p[1] ?? this.#nick);
          return;
        }
        break;
      case N.ERR_UNKNOWNCOMMAND:
        if (!this.#registered && (p[1] ?? "").toUpperCase() === "CAP") return;
        break;
      case N.RPL_NAMREPLY:
        this.#onNames(p);
        return;
      case N.RPL_ENDOFNAMES:
        this.#onEndOfNames(p[1] ?? "", time);
        return;
      case N.RPL_TOPIC: {
        const ch = this.channels.get(casefold(p[1] ?? ""));
        if (ch) ch.topic = p[2] ?? "";
        this.onEvent({ type: "state" });
        break;
      }
      case "JOIN":
        this.#onJoin(from, msg, time);
        return;
      case "PART":
        this.#onPart(from, p[0] ?? "", p[1], time);
        return;
      case "KICK":
        this.#onKick(from, p[0] ?? "", p[1] ?? "", p[2], time);
        return;
      case "QUIT":
        this.#onQuit(from, p[0] ?? "", time);
        return;
      case "NICK":
        this.#onNick(from, p[0] ?? "", time);
        return;
      case "TOPIC":
        this.#onTopic(from, p[0] ?? "", p[1] ?? "", time);
        return;
      case "MODE":
        this.#onMode(from, p, time);
        return;
      case "PRIVMSG":
      case "NOTICE":
        this.#onText(msg, from, time);
        return;
      case "INVITE":
        this.#emit({
          time,
          window: ACTIVE_WINDOW,
          kind: "info",
          text: `${from} invites you to ${p[1] ?? ""} (type /join ${p[1] ?? ""}).`,
        });
        return;
      case "AWAY":
      case "ACCOUNT":
      case "CHGHOST":
        return;
    }
    if (/^\d{3}$/.test(msg.command)) this.#onNumeric(msg, time);
  }

  /**
   * Follows a server's `sts` policy: on a plain connection with a port, leave and come back
   * over TLS (true: this connection is over); over TLS, have the policy recorded.
   */
  #onSts(v: StsValue): boolean {
    const t = this.#target;
    if (!t.tls) {
      if (v.port === undefined) return false;
      this.#emitLine(
        STATUS_WINDOW,
        "info",
        `The server asks for encrypted connections (STS): reconnecting with TLS on port ${v.port}.`,
      );
      this.#target = { host: t.host, port: v.port, tls: true };
      this.#stsUpgrade = true;
      this.#conn?.close();
      return true;
    }
    if (v.duration !== undefined && this.#opts.recordStsPolicy) {
      this.#opts.recordStsPolicy(t.host, t.port, v.duration).catch((e) =>
        this.#emitLine(
          STATUS_WINDOW,
          "error",
          `Could not remember the server's TLS-only policy: ${(e as Error).message}`,
        )
      );
    }
    return false;
  }

  #handleCap(p: string[]): void {
    const sub = (p[1] ?? "").toUpperCase();
    if (sub === "LS") {
      const more = p[2] === "*";
      const list = p[p.length - 1] ?? "";
      this.#capLs.push(...list.split(" ").filter((c) => c !== ""));
      if (more) return;
      for (const c of this.#capLs) {
        const eq = c.indexOf("=");
        this.#offered.set(eq === -1 ? c : c.slice(0, eq), eq === -1 ? "" : c.slice(eq + 1));
      }
      const offered = this.#offered;
      const sts = offered.get("sts");
      if (sts !== undefined && this.#onSts(parseStsValue(sts))) return;
      const want = WANTED_CAPS.filter((c) => offered.has(c));
      if (this.#sasl) {
        const mechs = offered.get("sasl");
        if (
          mechs !== undefined && (mechs === "" || mechs.toUpperCase().split(",").includes("PLAIN"))
        ) {
          want.push("sasl");
        } else {
          this.#emitLine(
            STATUS_WINDOW,
            "error",
            `This server does not offer SASL PLAIN login; connecting without logging in as ${this.#sasl.account}.`,
          );
        }
      }
      if (want.length === 0) this.sendRaw("CAP END");
      else this.send(message("CAP", ["REQ", want.join(" ")]));
    } else if (sub === "ACK") {
      for (const c of (p[p.length - 1] ?? "").split(" ")) {
        if (c === "") continue;
        if (c.startsWith("-")) this.#caps.delete(c.slice(1));
        else this.#caps.add(c);
      }
      if (!this.#registered && this.#caps.has("sasl") && this.#sasl && !this.#saslPending) {
        // CAP END waits until the server says how the login went (903 or 90x)
        this.#saslPending = this.#sasl;
        this.sendRaw("AUTHENTICATE PLAIN");
        return;
      }
      if (!this.#registered) this.sendRaw("CAP END");
    } else if (sub === "NAK") {
      if (!this.#registered) this.sendRaw("CAP END");
    } else if (sub === "DEL") {
      for (const c of (p[p.length - 1] ?? "").split(" ")) this.#caps.delete(c);
    }
  }

  #nextNick(code: string, rejected: string): void {
    this.#nickTries++;
    let next: string;
    if (this.#nickTries > 8) {
      next = "guest" + String(Math.floor(this.#random() * 90000) + 10000);
    } else if (code === N.ERR_ERRONEUSNICKNAME) {
      // maybe too long: shorten and mark; if the original is bad, fall back to a guest name
      next = rejected.length > 2 && rejected !== this.#wantedNick
        ? rejected.slice(0, -2) + "_"
        : "guest" + String(Math.floor(this.#random() * 90000) + 10000);
    } else {
      next = rejected + "_";
    }
    this.#emitLine(
      STATUS_WINDOW,
      "info",
      `The nickname ${rejected} is ${
        code === N.ERR_ERRONEUSNICKNAME ? "not allowed" : "taken"
      }; trying ${next}.`,
    );
    this.#nick = next;
    this.send(message("NICK", [next]));
  }

  #onWelcome(msg: IrcMessage): void {
    this.#registered = true;
    this.#everRegistered = true;
    this.#serverName = msg.source ?? "";
    if (msg.params[0]) this.#nick = msg.params[0];
    this.#setState("connected");
    if (!this.#isMe(this.#wantedNick)) {
      this.#emitLine(
        ACTIVE_WINDOW,
        "info",
        `The nickname ${this.#wantedNick} was taken, so you are ${this.#nick}. Use /nick to pick another.`,
      );
    }
    // (re)join
    this.#pendingJoins.clear();
    const withKey = [...this.#wanted.values()].filter((w) => w.key);
    const noKey = [...this.#wanted.values()].filter((w) => !w.key);
    for (const w of this.#wanted.values()) this.#pendingJoins.add(casefold(w.name));
    for (let i = 0; i < noKey.length; i += 10) {
      this.send(message("JOIN", [noKey.slice(i, i + 10).map((w) => w.name).join(",")]));
    }
    for (const w of withKey) this.send(message("JOIN", [w.name, w.key!]));
    this.send(message("PING", [`lag-${Date.now()}`]));
    this.#checkReady();
  }

  #onIsupport(tokens: string[]): void {
    for (const t of tokens) {
      const [k, v = ""] = t.split("=", 2);
      if (k === "PREFIX") {
        const m = /^\(([^)]*)\)(.*)$/.exec(v);
        if (m && m[1].length === m[2].length) {
          this.#prefixModes = m[1];
          this.#prefixSymbols = m[2];
        }
      } else if (k === "CHANTYPES" && v !== "") {
        this.#chanTypes = v;
      } else if (k === "NETWORK" && v !== "") {
        this.#serverName = v;
      }
    }
  }

  #parseMember(entry: string): Member {
    let i = 0;
    while (i < entry.length && this.#prefixSymbols.includes(entry[i])) i++;
    return { prefixes: entry.slice(0, i), nick: nickOf(entry.slice(i)) };
  }

  #onNames(p: string[]): void {
    const chan = p[2] ?? "";
    const key = casefold(chan);
    const list = this.#names.get(key) ?? [];
    for (const e of (p[3] ?? "").split(" ")) if (e !== "") list.push(this.#parseMember(e));
    this.#names.set(key, list);
  }

  #onEndOfNames(chan: string, time: Date): void {
    const key = casefold(chan);
    const list = this.#names.get(key) ?? [];
    this.#names.delete(key);
    const ch = this.channels.get(key);
    if (ch) {
      ch.members.clear();
      for (const m of list) ch.members.set(casefold(m.nick), m);
    }
    const shown = list.map((m) => (m.prefixes[0] ?? "") + m.nick).sort((a, b) =>
      casefold(a.replace(/^[^A-Za-z\[\]\\`_^{|}]/, "")) <
          casefold(b.replace(/^[^A-Za-z\[\]\\`_^{|}]/, ""))
        ? -1
        : 1
    );
    this.#emit({
      time,
      window: ch ? ch.name : ACTIVE_WINDOW,
      kind: "info",
      text: `${list.length} on ${chan}: ${shown.join(" ")}`,
    });
    this.onEvent({ type: "state" });
  }

  #onJoin(from: string, msg: IrcMessage, time: Date): void {
    const chan = msg.params[0] ?? "";
    const key = casefold(chan);
    if (this.#isMe(from)) {
      this.channels.set(key, { name: chan, topic: "", members: new Map() });
      this.#wanted.set(key, { name: chan, key: this.#wanted.get(key)?.key });
      const focus = this.#focusJoins.delete(key);
      this.onEvent({ type: "open", window: chan, focus });
      this.#emit({ time, window: chan, kind: "join", text: `You joined ${chan}` });
      this.#pendingJoins.delete(key);
      this.#checkReady();
      return;
    }
    const ch = this.channels.get(key);
    if (ch) ch.members.set(casefold(from), { nick: from, prefixes: "" });
    const uh = userhostOf(msg.source);
    this.#emit({
      time,
      window: ch?.name ?? chan,
      kind: "join",
      text: `${from}${uh ? ` (${uh})` : ""} joined ${chan}`,
    });
  }

  #onPart(from: string, chan: string, reason: string | undefined, time: Date): void {
    const key = casefold(chan);
    const why = reason ? ` (${reason})` : "";
    if (this.#isMe(from)) {
      const ch = this.channels.get(key);
      this.channels.delete(key);
      this.#wanted.delete(key);
      this.#emit({ time, window: ch?.name ?? chan, kind: "part", text: `You left ${chan}${why}` });
      this.onEvent({ type: "close", window: ch?.name ?? chan });
      return;
    }
    const ch = this.channels.get(key);
    ch?.members.delete(casefold(from));
    this.#emit({
      time,
      window: ch?.name ?? chan,
      kind: "part",
      text: `${from} left ${chan}${why}`,
    });
  }

  #onKick(from: string, chan: string, victim: string, reason: string | undefined, time: Date) {
    const key = casefold(chan);
    const ch = this.channels.get(key);
    const why = reason ? ` (${reason})` : "";
    if (this.#isMe(victim)) {
      this.channels.delete(key);
      this.#wanted.delete(key);
      this.#emit({
        time,
        window: ch?.name ?? chan,
        kind: "kick",
        text: `${from} removed you from ${chan}${why}. Type /join ${chan} to go back.`,
      });
      this.onEvent({ type: "state" });
      return;
    }
    ch?.members.delete(casefold(victim));
    this.#emit({
      time,
      window: ch?.name ?? chan,
      kind: "kick",
      text: `${from} removed ${victim} from ${chan}${why}`,
    });
  }

  #onQuit(from: string, reason: string, time: Date): void {
    const key = casefold(from);
    let first = true;
    for (const ch of this.channels.values()) {
      if (!ch.members.delete(key)) continue;
      this.#emit({
        time,
        window: ch.name,
        kind: "quit",
        text: `${from} quit${reason ? ` (${reason})` : ""}`,
        duplicate: !first,
      });
      first = false;
    }
  }

  #onNick(from: string, to: string, time: Date): void {
    const me = this.#isMe(from);
    if (me) {
      this.#nick = to;
      this.#wantedNick = to;
      this.onEvent({ type: "state" });
    }
    const text = me ? `You are now known as ${to}` : `${from} is now known as ${to}`;
    let first = true;
    for (const ch of this.channels.values()) {
      const m = ch.members.get(casefold(from));
      if (!m) continue;
      ch.members.delete(casefold(from));
      ch.members.set(casefold(to), { nick: to, prefixes: m.prefixes });
      this.#emit({
        time,
        window: ch.name,
        kind: "nick",
        text,
        duplicate: !first,
      });
      first = false;
    }
    if (!me) this.onEvent({ type: "rename", from, to });
    if (first) this.#emit({ time, window: me ? ACTIVE_WINDOW : to, kind: "nick", text });
  }

  #onTopic(from: string, chan: string, topic: string, time: Date): void {
    const ch = this.channels.get(casefold(chan));
    if (ch) ch.topic = topic;
    this.#emit({
      time,
      window: ch?.name ?? chan,
      kind: "topic",
      text: topic === ""
        ? `${from} removed the topic of ${chan}`
        : `${from} changed the topic of ${chan} to: ${topic}`,
    });
    this.onEvent({ type: "state" });
  }

  #onMode(from: string, p: string[], time: Date): void {
    const target = p[0] ?? "";
    const changes = p.slice(1);
    if (!this.isChannel(target)) {
      this.#emit({
        time,
        window: STATUS_WINDOW,
        kind: "mode",
        text: `${from} set mode ${changes.join(" ")} on ${target}`,
      });
      return;
    }
    const ch = this.channels.get(casefold(target));
    // track prefix modes (+o, +v) on members
    if (ch) {
      let sign = "+";
      let arg = 1;
      for (const c of changes[0] ?? "") {
        if (c === "+" || c === "-") {
          sign = c;
          continue;
        }
        const idx = this.#prefixModes.indexOf(c);
        if (idx !== -1) {
          const who = changes[arg++];
          const m = who ? ch.members.get(casefold(who)) : undefined;
          if (m) {
            const sym = this.#prefixSymbols[idx];
            const set = new Set(m.prefixes.replace(sym, ""));
            if (sign === "+") set.add(sym);
            m.prefixes = [...this.#prefixSymbols].filter((s) => set.has(s)).join("");
          }
        } else if ("bkeIlfjL".includes(c) && (sign === "+" || c !== "l")) {
          arg++;
        }
      }
    }
    this.#emit({
      time,
      window: ch?.name ?? target,
      kind: "mode",
      text: `${from} set mode ${changes.join(" ")} on ${target}`,
    });
  }

  #onText(msg: IrcMessage, from: string, time: Date): void {
    let target = msg.params[0] ?? "";
    let text = msg.params[1] ?? "";
    const isNotice = msg.command === "NOTICE";
    // STATUSMSG targets such as @#chan
    while (
      target.length > 1 && this.#prefixSymbols.includes(target[0]) &&
      this.isChannel(target.slice(1))
    ) {
      target = target.slice(1);
    }
    let kind: LineKind = isNotice ? "notice" : "message";
    if (text.startsWith("\x01")) {
      const body = text.endsWith("\x01") ? text.slice(1, -1) : text.slice(1);
      const sp = body.indexOf(" ");
      const verb = (sp === -1 ? body : body.slice(0, sp)).toUpperCase();
      const arg = sp === -1 ? "" : body.slice(sp + 1);
      if (verb === "ACTION") {
        kind = "action";
        text = arg;
      } else {
        if (!isNotice && !this.#isMe(from)) {
          const reply = ctcpReply(verb, arg);
          if (reply !== undefined) this.send(message("NOTICE", [from, `\x01${reply}\x01`]));
        }
        this.#emit({
          time,
          window: ACTIVE_WINDOW,
          kind: "info",
          text: isNotice ? `${from} replied to CTCP ${verb}: ${arg}` : `${from} sent CTCP ${verb}`,
        });
        return;
      }
    }
    const self = this.#isMe(from);
    const serverish = from === "" || !msg.source?.includes("!") || target === "*" ||
      !this.#registered;
    let window: string;
    if (this.isChannel(target)) {
      window = this.channels.get(casefold(target))?.name ?? target;
    } else if (self) {
      window = target; // our own message echoed back: the conversation with target
    } else if (isNotice) {
      window = serverish ? STATUS_WINDOW : ACTIVE_WINDOW;
    } else {
      window = from;
      this.onEvent({ type: "open", window: from, focus: false });
    }
    const batch = msg.tags["batch"];
    const history = batch !== undefined && this.#batches.get(batch) === "chathistory";
    this.#emit({
      time,
      window,
      kind,
      nick: from === "" ? this.#serverName : from,
      text,
      self,
      // old lines neither ring nor count as mentions: they were seen (or missed) back then
      highlight: !history && !self && mentions(text, this.#nick),
      ...(history ? { history: true } : {}),
    });
  }

  #onNumeric(msg: IrcMessage, time: Date): void {
    const p = msg.params;
    if (JOIN_ERRORS.has(msg.command)) {
      const key = casefold(p[1] ?? "");
      if (this.#pendingJoins.delete(key)) {
        this.#wanted.delete(key);
        this.#focusJoins.delete(key);
        this.#checkReady();
      }
    }
    const d = describeNumeric(msg);
    if (!d) return;
    let window = ACTIVE_WINDOW;
    if (!this.#registered || STATUS_NUMERICS.has(msg.command)) window = STATUS_WINDOW;
    else if (d.channel && this.channels.has(casefold(d.channel))) {
      window = this.channels.get(casefold(d.channel))!.name;
    }
    this.#emit({ time, window, kind: d.kind, text: d.text });
  }

  /**
   * Registers an account named after our nick: IRCv3 REGISTER when the server offers
   * draft/account-registration, else NickServ's REGISTER.
   */
  #register(password: string, email: string | undefined): boolean {
    if (!this.connected) return false;
    if (this.#offered.has("draft/account-registration")) {
      this.send(message("REGISTER", ["*", email ?? "*", password]));
    } else {
      this.send(
        message("PRIVMSG", ["NickServ", `REGISTER ${password}${email ? ` ${email}` : ""}`]),
      );
    }
    this.#emitLine(ACTIVE_WINDOW, "info", `Registering the account ${this.#nick}…`);
    return true;
  }

  /**
   * Logs in: SASL while still registering (if offered), else NickServ IDENTIFY. Successful
   * credentials are kept (in memory only) to log in again with SASL after a reconnect.
   */
  #login(creds: Credentials): boolean {
    if (!this.#conn) return false;
    if (!this.#registered) {
      if (!this.#caps.has("sasl")) return false;
      this.#saslPending = creds;
      this.sendRaw("AUTHENTICATE PLAIN");
      return true;
    }
    this.#identifyPending = creds;
    this.send(message("PRIVMSG", ["NickServ", `IDENTIFY ${creds.account} ${creds.password}`]));
    this.#emitLine(ACTIVE_WINDOW, "info", `Logging in as ${creds.account}…`);
    return true;
  }

  #sendText(kind: "say" | "action" | "notice", target: string, text: string): boolean {
    if (!this.connected) return false;
    const verb = kind === "notice" ? "NOTICE" : "PRIVMSG";
    // room for ":nick!user@host VERB target :" added by the server, and CTCP wrapping
    const overhead = 1 + this.#nick.length + 1 + 10 + 1 + 64 + 1 + verb.length + 1 +
      target.length + 2 + (kind === "action" ? 9 : 0) + 2;
    const echo = this.#caps.has("echo-message");
    for (const piece of splitText(text, Math.max(32, 512 - overhead))) {
      const body = kind === "action" ? `\x01ACTION ${piece}\x01` : piece;
      this.send(message(verb, [target, body]));
      if (!echo) {
        this.#emit({
          time: new Date(),
          window: this.isChannel(target)
            ? (this.channels.get(casefold(target))?.name ?? target)
            : target,
          kind: kind === "say" ? "message" : kind === "action" ? "action" : "notice",
          nick: this.#nick,
          text: piece,
          self: true,
        });
      }
    }
    return true;
  }
}

/** The CTCP queries the client answers (modern.ircdocs.horse/ctcp), for CLIENTINFO. */
const CTCP_ANSWERED = ["ACTION", "CLIENTINFO", "PING", "TIME", "VERSION"];

/**
 * The body of the reply to an incoming CTCP query, or undefined for queries the client does
 * not answer (and for ACTION, which is a message, not a query).
 *
 * @example
 * ```ts
 * import { ctcpReply } from "./irc_client.ts";
 * ctcpReply("PING", "1234"); // "PING 1234"
 * ctcpReply("CLIENTINFO", ""); // "CLIENTINFO ACTION CLIENTINFO PING TIME VERSION"
 * ctcpReply("FINGER", ""); // undefined
 * ```
 */
export function ctcpReply(verb: string, arg: string, now: Date = new Date()): string | undefined {
  switch (verb) {
    case "VERSION":
      return `VERSION ${SOFTWARE} ${VERSION}`;
    case "PING":
      return arg === "" ? "PING" : `PING ${arg}`;
    case "TIME":
      // local time as people read it, which is what TIME is for
      return `TIME ${now.toString()}`;
    case "CLIENTINFO":
      return `CLIENTINFO ${CTCP_ANSWERED.join(" ")}`;
    default:
      return undefined;
  }
}
