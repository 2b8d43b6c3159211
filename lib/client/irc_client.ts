/**
 * The IRC client proper: one object that owns a connection to a server and ties the parts
 * together: registration (lib/client/registration.ts, pure), the channel table
 * (channel_state.ts), the inbound handler table (inbound.ts), lag measurement, and
 * reconnection with backoff (backoff.ts) that rejoins the channels. It knows nothing of
 * terminals; a UI sets {@link IrcClient.onEvent} and calls {@link IrcClient.perform}.
 *
 * @module
 */

import { type IrcMessage, message, parseMessage, serializeMessage } from "../protocol/message.ts";
import { casefold } from "../protocol/casemap.ts";
import { type Connection, dial, type Dialer, type ServerTarget } from "./dial.ts";
import type { Action } from "../shared/input_commands.ts";
import type { ModernAction } from "../shared/modern_commands.ts";
import {
  ACTIVE_WINDOW,
  type ChatLine,
  type ClientEvent,
  type LineKind,
  STATUS_WINDOW,
} from "./events.ts";
import { backoffDelay, CancellableSleep } from "./backoff.ts";
import { type ChannelState, ChannelTable, type Member } from "./channel_state.ts";
import { handleInbound, type InboundContext, type OpenBatch } from "./inbound.ts";
import { type Credentials, Registration, type RegNote, type RegStep } from "./registration.ts";
import { sourceNick as nickOf, splitText } from "../shared/message_text.ts";
import {
  type MultilineLimits,
  parseMultilineCap,
  planMultiline,
} from "../shared/multiline_batch.ts";
import { markreadParam } from "../shared/markread.ts";
import { searchAttributes, type SearchQuery } from "../shared/search_query.ts";
import { uploadUrl } from "../shared/filehost_upload.ts";

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
  /** Random source for jitter and guest nicks, in [0, 1) (default Math.random). */
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

/** How long MARKREADs of one window are gathered into one (a busy channel, looked at). */
const MARKREAD_DELAY_MS = 250;

/** Nicks per ISON poll line (the reply must fit in 512 bytes too). */
const ISON_PER_LINE = 20;

/**
 * One entry of the notify list (`/notify`).
 *
 * @example
 * ```ts
 * import type { NotifyEntry } from "./irc_client.ts";
 * const e: NotifyEntry = { nick: "bob", online: true };
 * ```
 */
export interface NotifyEntry {
  /** The nick as the user typed it. */
  nick: string;
  /** Online, offline, or not known yet. */
  online: boolean | undefined;
}

/** The caps under which a server answers CHATHISTORY. */
const CHATHISTORY_CAPS = ["draft/chathistory", "chathistory"];

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
  readonly #reg: Registration;
  readonly #table: ChannelTable;
  readonly #inbound: InboundContext;
  readonly #sleep = new CancellableSleep();
  #conn: Connection | undefined;
  #state: ConnState = "closed";
  #welcomeSource = "";
  #batches = new Map<string, OpenBatch>();
  /** CHATHISTORY BEFORE requests sent whose batch has not begun, by casefolded target. */
  #olderRequests = new Map<string, number>();
  #lagMs: number | undefined;
  #lastRecv = 0;
  #stopped = false;
  #started = false;
  #syncSeq = 0;
  #syncWaiters = new Map<string, () => void>();
  #readyWaiters: (() => void)[] = [];
  /** Notes of the welcome (which nick we got), told once the channels are joined. */
  #heldNotes: RegNote[] = [];
  /** Where to connect: the given server, moved to its TLS port when it asks with `sts`. */
  #target: ServerTarget;
  /** The server asked for TLS (`sts` on a plain connection): reconnect at once. */
  #stsUpgrade = false;
  /** Every ISUPPORT token of this connection, by name (value "" when it has none). */
  #isupport = new Map<string, string>();
  /** The notify list by casefolded nick, and what we know of each. */
  #notify = new Map<string, NotifyEntry>();
  /**
   * What the last connection knew of each watched nick (by casefolded nick), until the
   * new one says: a reconnect then announces only what changed meanwhile.
   */
  #knownBefore = new Map<string, boolean>();
  /** MONITOR + was sent for the notify list on this connection. */
  #monitorSent = false;
  /** ISON polls sent whose reply has not come. */
  #isonPending = 0;
  /** Words of SEARCHes sent whose batch has not come, in order. */
  #searches: string[] = [];
  /** MARKREAD per casefolded target: the newest sent or heard, and one waiting to go. */
  #marks = new Map<string, { target: string; known?: number; wanted?: number }>();
  #markTimer: ReturnType<typeof setTimeout> | undefined;
  #multilineSeq = 0;
  #closedResolve!: () => void;
  /** Resolves once the client stopped for good (quit, stop, or gave up). */
  readonly closed: Promise<void>;
  /** Channels we are on, by casefolded name. */
  readonly channels: ReadonlyMap<string, ChannelState>;

  constructor(opts: IrcClientOptions) {
    this.#opts = opts;
    this.#target = opts.target;
    this.#dialer = opts.dialer ?? dial;
    this.#random = opts.random ?? Math.random;
    this.#reg = new Registration({
      nick: opts.nick,
      username: opts.username,
      realname: opts.realname,
      sasl: opts.sasl,
      random: this.#random,
    });
    this.#table = new ChannelTable(opts.channels);
    this.channels = this.#table.channels;
    this.#inbound = this.#inboundContext();
    this.closed = new Promise((r) => this.#closedResolve = r);
  }

  /** Our current nick. */
  get nick(): string {
    return this.#reg.nick;
  }
  /** The connection state. */
  get state(): ConnState {
    return this.#state;
  }
  /** Registered and able to send. */
  get connected(): boolean {
    return this.#reg.registered && this.#conn !== undefined;
  }
  /** Round-trip time of the last lag PING in ms, if measured. */
  get lagMs(): number | undefined {
    return this.#lagMs;
  }
  /** The capabilities the server acknowledged. */
  get caps(): ReadonlySet<string> {
    return this.#reg.caps;
  }
  /** The account we are logged in to, if any. */
  get account(): string | undefined {
    return this.#reg.account;
  }
  /** "host:port" of the server. */
  get serverLabel(): string {
    const { host, port } = this.#target;
    return `${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  /** Whether the server answers CHATHISTORY (so older lines can be fetched). */
  get hasHistory(): boolean {
    return CHATHISTORY_CAPS.some((c) => this.#reg.offered.has(c));
  }

  /** The ISUPPORT tokens of this connection, by name. */
  get isupport(): ReadonlyMap<string, string> {
    return this.#isupport;
  }
  /** The server's draft/multiline limits, when the cap is on (with batch); else undefined. */
  get multiline(): MultilineLimits | undefined {
    if (!this.caps.has("draft/multiline") || !this.caps.has("batch")) return undefined;
    return parseMultilineCap(this.#reg.offered.get("draft/multiline") ?? "");
  }
  /** The credentials of the account we are logged in to (for uploads), if we have them. */
  get credentials(): Credentials | undefined {
    return this.#reg.credentials;
  }
  /** The notify list with what is known of each nick, in the order they were added. */
  get notifyList(): NotifyEntry[] {
    return [...this.#notify.values()];
  }
  /** Whether the server has MONITOR (else the notify list is polled with ISON). */
  get hasMonitor(): boolean {
    return this.#isupport.has("MONITOR");
  }

  /**
   * The upload address of the server's file host (soju.im/FILEHOST in ISUPPORT), or why
   * there is none that may be used.
   */
  uploadUrl(): string | { error: string } {
    return uploadUrl(this.#isupport, this.#target.tls);
  }

  /**
   * Why the server cannot carry out an action (a sentence), or undefined when it can or
   * when that is not known because we are not connected.
   */
  unsupported(action: Action | ModernAction): string | undefined {
    if (!this.connected) return undefined;
    const tags = this.caps.has("message-tags");
    switch (action.kind) {
      case "redact":
      case "delete":
        return this.caps.has("draft/message-redaction")
          ? undefined
          : "This server does not support deleting messages (draft/message-redaction).";
      case "react":
      case "reactTo":
        return tags ? undefined : "This server does not carry reactions (message-tags).";
      case "reply":
        return tags ? undefined : "This server does not carry replies (message-tags).";
      case "sayReply":
        return tags ? undefined : "This server does not carry replies (message-tags).";
      case "search":
        return this.caps.has("soju.im/search")
          ? undefined
          : "This server does not support searching old messages (soju.im/search).";
      default:
        return undefined;
    }
  }

  /**
   * How many messages a text of several lines goes out as: 1 for one draft/multiline
   * batch, more when it is over the server's limits, or its line count without multiline.
   */
  messagesFor(target: string, text: string): number {
    const limits = this.multiline;
    if (!limits) return text.split(/\r\n|\r|\n/).length;
    return planMultiline(text, limits, this.#pieceBytes("say", target)).length;
  }

  /**
   * Tells the server (draft/read-marker) that the user has read a window up to `time` (a
   * server time of a line shown). Gathered for a moment, and only ever moved forward.
   */
  markRead(target: string, time: Date): void {
    if (!this.connected || !this.caps.has("draft/read-marker")) return;
    const key = casefold(target);
    const m = this.#marks.get(key) ?? { target };
    const t = time.getTime();
    if ((m.known ?? -Infinity) >= t || (m.wanted ?? -Infinity) >= t) return;
    m.wanted = t;
    this.#marks.set(key, m);
    this.#markTimer ??= setTimeout(() => this.#flushMarks(), MARKREAD_DELAY_MS);
  }

  /** Asks for the read marker of a private conversation (channels get theirs on join). */
  askMarkRead(target: string): void {
    if (this.connected && this.caps.has("draft/read-marker")) {
      this.send(message("MARKREAD", [target]));
    }
  }

  #flushMarks(): void {
    this.#markTimer = undefined;
    if (!this.connected) return;
    for (const m of this.#marks.values()) {
      if (m.wanted === undefined) continue;
      const t = m.wanted;
      m.wanted = undefined;
      if ((m.known ?? -Infinity) >= t) continue;
      m.known = t;
      this.send(message("MARKREAD", [m.target, markreadParam(new Date(t))]));
    }
  }

  /** Whether a name is a channel by this server's channel types. */
  isChannel(name: string): boolean {
    return this.#table.isChannel(name);
  }

  /** The nicks on a channel (empty for unknown channels), sorted case-insensitively. */
  nicksIn(channel: string): string[] {
    return this.#table.nicksIn(channel);
  }

  /**
   * A channel's members as a member list shows them: highest status first (in the order of
   * the server's PREFIX), then by nick, case-insensitively.
   */
  rankedMembers(channel: string): Member[] {
    return this.#table.rankedMembers(channel);
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
   * Asks for up to `limit` lines of `target` older than `before` (the oldest line shown;
   * by its msgid when it has one, else its time). They arrive as one "older" event, empty
   * when there are none. False when the server cannot (no CHATHISTORY, not connected).
   */
  fetchOlder(target: string, before: ChatLine | undefined, limit = 50): boolean {
    if (!this.connected || !this.hasHistory) return false;
    const key = casefold(target);
    const ref = before?.msgid
      ? `msgid=${before.msgid}`
      : `timestamp=${(before?.time ?? new Date()).toISOString()}`;
    this.#olderRequests.set(key, (this.#olderRequests.get(key) ?? 0) + 1);
    return this.send(message("CHATHISTORY", ["BEFORE", target, ref, String(limit)]));
  }

  /**
   * Carries out the network part of an action: say, action, notice, send, raw, nick,
   * join. Returns false if it needs a connection and there is none (the caller should keep
   * the user's text). Other actions are the UI's and return true untouched.
   */
  perform(action: Action | ModernAction): boolean {
    switch (action.kind) {
      case "say":
        return this.#sendText("say", action.target, action.text);
      case "sayReply":
        return this.#sendText("say", action.target, action.text, action.replyTo);
      case "action":
      case "notice":
        return this.#sendText(action.kind, action.target, action.text);
      case "react":
        return this.#react(action.target, action.msgid, action.reaction);
      case "redact":
        return this.connected &&
          this.send(message("REDACT", [action.target, action.msgid]));
      case "search": {
        if (!this.connected) return false;
        const q: SearchQuery = { text: action.text, limit: 100 };
        if (action.in !== undefined) q.in = action.in;
        this.#searches.push(action.in ? `${action.text} in ${action.in}` : action.text);
        return this.send(message("SEARCH", [searchAttributes(q)]));
      }
      case "notify":
        this.#notifyChange(action.op, action.nicks);
        return true;
      case "send":
        if (!this.connected) return false;
        for (const m of action.messages) this.send(m);
        return true;
      case "raw":
        return this.connected && this.sendRaw(action.line);
      case "nick":
        if (!this.connected) return false;
        this.#reg.want(action.nick);
        return this.send(message("NICK", [action.nick]));
      case "register":
        return this.#register(action.password, action.email);
      case "login":
        return this.#login({ account: action.account ?? this.nick, password: action.password });
      case "join": {
        this.#table.want(action.channels, action.keys);
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
    this.#sleep.cancel();
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
    this.#sleep.cancel();
    this.#conn?.close();
    if (!this.#started) this.#finish();
  }

  // ---------------------------------------------------------------- internals

  /** Adds to or removes from the notify list, telling the server (MONITOR or ISON). */
  #notifyChange(op: "add" | "del" | "list", nicks: string[]): void {
    if (op === "list") return;
    const changed: string[] = [];
    for (const n of nicks) {
      const key = casefold(n);
      if (op === "add" && !this.#notify.has(key)) {
        this.#notify.set(key, { nick: n, online: undefined });
        changed.push(n);
      } else if (op === "del" && this.#notify.delete(key)) {
        this.#knownBefore.delete(key);
        changed.push(n);
      }
    }
    if (changed.length === 0) return;
    if (this.connected && this.hasMonitor) {
      // the list as one line each way; the server answers an add with 730/731
      this.send(message("MONITOR", [op === "add" ? "+" : "-", changed.join(",")]));
      this.#monitorSent = true;
    } else if (this.connected && op === "add") {
      this.#pollIson(changed);
    }
    this.onEvent({ type: "state" });
  }

  /** Asks ISON about these nicks (the whole notify list by default). */
  #pollIson(nicks = this.notifyList.map((e) => e.nick)): void {
    for (let i = 0; i < nicks.length; i += ISON_PER_LINE) {
      this.#isonPending++;
      this.send(message("ISON", [nicks.slice(i, i + ISON_PER_LINE).join(" ")]));
    }
  }

  /** MONITOR or ISON told us about nicks: record it and say what changed. */
  #presence(nicks: string[], online: boolean): void {
    let changed = false;
    for (const n of nicks) {
      const key = casefold(n);
      const e = this.#notify.get(key);
      if (!e || e.online === online) continue;
      const before = this.#knownBefore.get(key);
      this.#knownBefore.delete(key);
      const first = e.online === undefined && before === undefined;
      e.online = online;
      changed = true;
      // the same as before the reconnect: nothing to tell
      if (before === online) continue;
      this.#emitLine(
        ACTIVE_WINDOW,
        "info",
        first
          ? `${n} is ${online ? "online" : "offline"}.`
          : `${n} ${online ? "came online" : "went offline"}.`,
      );
    }
    if (changed) this.onEvent({ type: "state" });
  }

  /** A 303 reply: ours if we polled. Nicks of our list not in it are offline. */
  #isonReply(nicks: string[]): boolean {
    if (this.#isonPending === 0) return false;
    this.#isonPending--;
    const on = new Set(nicks.map((n) => casefold(n)));
    const asked = this.notifyList.map((e) => e.nick);
    this.#presence(asked.filter((n) => on.has(casefold(n))), true);
    // a reply covers only the nicks of its line; with one line, that is all of them
    if (asked.length <= ISON_PER_LINE) {
      this.#presence(asked.filter((n) => !on.has(casefold(n))), false);
    }
    return true;
  }

  #react(target: string, msgid: string, reaction: string): boolean {
    if (!this.connected) return false;
    this.send({
      tags: { "+draft/reply": msgid, "+draft/react": reaction },
      command: "TAGMSG",
      params: [target],
    });
    if (!this.caps.has("echo-message")) {
      this.onEvent({
        type: "react",
        window: this.isChannel(target) ? this.#table.windowOf(target) : target,
        msgid,
        nick: this.nick,
        reaction,
      });
    }
    return true;
  }

  /** The handlers' view of this client (inbound.ts). */
  #inboundContext(): InboundContext {
    // deno-lint-ignore no-this-alias
    const self = this;
    return {
      table: this.#table,
      get nick() {
        return self.nick;
      },
      get registered() {
        return self.#reg.registered;
      },
      get stopping() {
        return self.#stopped;
      },
      get serverName() {
        return self.#table.network || self.#welcomeSource;
      },
      get batches() {
        return self.#batches;
      },
      isMe: (nick) => this.#isMe(nick),
      hasCap: (cap) => this.#reg.caps.has(cap),
      send: (msg) => {
        this.send(msg);
      },
      emit: (line) => this.#emit(line),
      event: (e) => {
        if (e.type === "markread" && e.time) {
          // the server's marker: never send an older one back
          const key = casefold(e.window);
          const m = this.#marks.get(key) ?? { target: e.window };
          m.known = Math.max(m.known ?? -Infinity, e.time.getTime());
          this.#marks.set(key, m);
        }
        this.onEvent(e);
      },
      isupport: (tokens) => {
        for (const t of tokens) {
          const eq = t.indexOf("=");
          const name = eq === -1 ? t : t.slice(0, eq);
          if (name.startsWith("-")) this.#isupport.delete(name.slice(1));
          else this.#isupport.set(name, eq === -1 ? "" : t.slice(eq + 1));
        }
        if (this.hasMonitor && !this.#monitorSent && this.#notify.size > 0) {
          this.#monitorSent = true;
          this.send(message("MONITOR", ["+", this.notifyList.map((e) => e.nick).join(",")]));
        }
      },
      presence: (nicks, online) => this.#presence(nicks, online),
      isonReply: (nicks) => this.#isonReply(nicks),
      takeSearch: () => this.#searches.shift(),
      pong: (token) => this.#onPong(token),
      welcome: (msg) => this.#onWelcome(msg),
      renamed: (to) => {
        this.#reg.renamed(to);
        this.onEvent({ type: "state" });
      },
      joinSettled: () => this.#checkReady(),
      takeOlderRequest: (target) => {
        const key = casefold(target);
        const n = this.#olderRequests.get(key) ?? 0;
        if (n <= 1) this.#olderRequests.delete(key);
        else this.#olderRequests.set(key, n - 1);
        return n > 0;
      },
    };
  }

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

  #emitLine(window: string, kind: LineKind, text: string): void {
    this.#emit({ time: new Date(), window, kind, text });
  }

  #isReady(): boolean {
    return this.connected && this.#table.pendingJoins === 0;
  }

  #checkReady(): void {
    if (!this.#isReady()) return;
    const notes = this.#heldNotes;
    this.#heldNotes = [];
    for (const n of notes) this.#emitLine(n.window, n.kind, n.text);
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w();
  }

  #isMe(nick: string): boolean {
    return casefold(nick) === casefold(this.nick);
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
        this.#emitLine(ACTIVE_WINDOW, "error", `Could not connect to ${this.serverLabel}: ${why}`);
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
        const registered = await this.#session(conn, target.tls);
        if (registered) attempt = 0;
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
      await this.#sleep.sleep(delay);
    }
    this.#finish();
  }

  /** One connection, from the first line to its end; resolves whether it registered. */
  async #session(conn: Connection, tls: boolean): Promise<boolean> {
    this.#conn = conn;
    this.#batches = new Map();
    this.#olderRequests.clear();
    this.#isupport = new Map();
    this.#monitorSent = false;
    this.#isonPending = 0;
    this.#searches = [];
    this.#marks.clear();
    // a new connection knows nothing yet of who is online (what the last one knew is kept
    // to tell changes from repeats)
    for (const [key, e] of this.#notify) {
      if (e.online !== undefined) this.#knownBefore.set(key, e.online);
      e.online = undefined;
    }
    this.#heldNotes = [];
    this.#setState("registering");
    for (const line of this.#reg.begin(tls)) this.sendRaw(line);
    this.#lastRecv = Date.now();
    const interval = this.#opts.pingIntervalMs ?? 30000;
    const idle = this.#opts.idleTimeoutMs ?? 120000;
    let everRegistered = false;
    const timer = setInterval(() => {
      if (Date.now() - this.#lastRecv > idle) {
        this.#emitLine(ACTIVE_WINDOW, "error", "The server stopped answering.");
        conn.close();
        return;
      }
      if (!this.#reg.registered) return;
      this.send(message("PING", [`lag-${Date.now()}`]));
      // without MONITOR, the notify list is polled
      if (!this.hasMonitor && this.#notify.size > 0) this.#pollIson();
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
        everRegistered ||= this.#reg.registered;
      }
    } finally {
      clearInterval(timer);
      if (this.#markTimer !== undefined) clearTimeout(this.#markTimer);
      this.#markTimer = undefined;
      conn.close();
      this.#conn = undefined;
      this.#reg.end();
      this.#lagMs = undefined;
      // keep the channels we were on (and asked for) to rejoin them
      this.#table.disconnected();
    }
    return everRegistered;
  }

  #timeOf(msg: IrcMessage): Date {
    const t = msg.tags["time"];
    if (t) {
      const d = new Date(t);
      if (!Number.isNaN(d.getTime())) return d;
    }
    return new Date();
  }

  #handle(msg: IrcMessage): void {
    const step = this.#reg.handle(msg);
    if (step) {
      this.#apply(step);
      if (step.consumed) return;
    }
    handleInbound(this.#inbound, msg, nickOf(msg.source), this.#timeOf(msg));
    // the end of the MOTD follows every ISUPPORT line: without MONITOR by then, the notify
    // list is asked for at once rather than at the first poll
    if (
      (msg.command === "376" || msg.command === "422") && !this.hasMonitor &&
      this.#notify.size > 0
    ) {
      this.#pollIson();
    }
  }

  /** Carries out what registration decided. */
  #apply(step: RegStep): void {
    for (const line of step.send) this.sendRaw(line);
    // said at welcome, they would land in the server window just before the first channel
    // is shown: told there instead, once it is
    if (step.welcome) this.#heldNotes = step.notes;
    else for (const n of step.notes) this.#emitLine(n.window, n.kind, n.text);
    if (step.accountChanged) this.onEvent({ type: "state" });
    if (step.stsUpgrade !== undefined) this.#upgradeToTls(step.stsUpgrade);
    if (step.stsDuration !== undefined) this.#recordSts(step.stsDuration);
  }

  /** A plain connection offered `sts` with a port: leave it and come back over TLS. */
  #upgradeToTls(port: number): void {
    this.#emitLine(
      STATUS_WINDOW,
      "info",
      `The server asks for encrypted connections (STS): reconnecting with TLS on port ${port}.`,
    );
    this.#target = { host: this.#target.host, port, tls: true };
    this.#stsUpgrade = true;
    this.#conn?.close();
  }

  #recordSts(duration: number): void {
    const { host, port } = this.#target;
    this.#opts.recordStsPolicy?.(host, port, duration).catch((e) =>
      this.#emitLine(
        STATUS_WINDOW,
        "error",
        `Could not remember the server's TLS-only policy: ${(e as Error).message}`,
      )
    );
  }

  #onPong(token: string): void {
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
  }

  #onWelcome(msg: IrcMessage): void {
    this.#welcomeSource = msg.source ?? "";
    this.#setState("connected");
    for (const line of this.#table.joinLines()) this.sendRaw(line);
    this.send(message("PING", [`lag-${Date.now()}`]));
    this.#checkReady();
  }

  /**
   * Registers an account named after our nick: IRCv3 REGISTER when the server offers
   * draft/account-registration, else NickServ's REGISTER.
   */
  #register(password: string, email: string | undefined): boolean {
    if (!this.connected) return false;
    this.#reg.registering({ account: this.nick, password });
    if (this.#reg.offered.has("draft/account-registration")) {
      this.send(message("REGISTER", ["*", email ?? "*", password]));
    } else {
      this.send(
        message("PRIVMSG", ["NickServ", `REGISTER ${password}${email ? ` ${email}` : ""}`]),
      );
    }
    this.#emitLine(ACTIVE_WINDOW, "info", `Registering the account ${this.nick}…`);
    return true;
  }

  #login(creds: Credentials): boolean {
    if (!this.#conn) return false;
    const step = this.#reg.login(creds);
    if (!step) return false;
    this.#apply(step);
    return true;
  }

  /** Bytes of text that fit in one PRIVMSG/NOTICE to `target` after the server's prefix. */
  #pieceBytes(kind: "say" | "action" | "notice", target: string): number {
    const verb = kind === "notice" ? "NOTICE" : "PRIVMSG";
    // room for ":nick!user@host VERB target :" added by the server, and CTCP wrapping
    const overhead = 1 + this.nick.length + 1 + 10 + 1 + 64 + 1 + verb.length + 1 +
      target.length + 2 + (kind === "action" ? 9 : 0) + 2;
    return Math.max(32, 512 - overhead);
  }

  #sendText(
    kind: "say" | "action" | "notice",
    target: string,
    text: string,
    replyTo?: string,
  ): boolean {
    if (!this.connected) return false;
    const verb = kind === "notice" ? "NOTICE" : "PRIVMSG";
    const nick = this.nick;
    const echo = this.caps.has("echo-message");
    const tags: Record<string, string> = replyTo && this.caps.has("message-tags")
      ? { "+draft/reply": replyTo }
      : {};
    const window = this.isChannel(target) ? this.#table.windowOf(target) : target;
    const local = (piece: string) => {
      if (echo) return;
      this.#emit({
        time: new Date(),
        window,
        kind: kind === "say" ? "message" : kind === "action" ? "action" : "notice",
        nick,
        text: piece,
        self: true,
        ...(replyTo ? { replyTo } : {}),
      });
    };
    const limits = this.multiline;
    if (kind === "say" && limits && /[\r\n]/.test(text)) {
      // one message of several lines: a draft/multiline batch (several when over limits)
      for (const parts of planMultiline(text, limits, this.#pieceBytes(kind, target))) {
        const ref = `ml${++this.#multilineSeq}`;
        this.send({ tags, command: "BATCH", params: [`+${ref}`, "draft/multiline", target] });
        for (const p of parts) {
          const t: Record<string, string> = { batch: ref };
          if (p.concat) t["draft/multiline-concat"] = "";
          this.send({ tags: t, command: "PRIVMSG", params: [target, p.text] });
        }
        this.send(message("BATCH", [`-${ref}`]));
        local(parts.map((p, i) => (i === 0 || p.concat ? "" : "\n") + p.text).join(""));
      }
      return true;
    }
    const lines = text.split(/\r\n|\r|\n/);
    for (const line of lines) {
      if (lines.length > 1 && line.trim() === "") continue;
      for (const piece of splitText(line, this.#pieceBytes(kind, target))) {
        const body = kind === "action" ? `\x01ACTION ${piece}\x01` : piece;
        this.send({ tags, command: verb, params: [target, body] });
        local(piece);
      }
    }
    return true;
  }
}
