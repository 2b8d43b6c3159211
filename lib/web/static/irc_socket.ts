/// <reference lib="dom" />
/**
 * The browser's IRC connection over WebSocket (subprotocol `text.ircv3.net`): capability
 * negotiation, SASL PLAIN when the server offers it, nick fallback, keepalive answers, and
 * reconnection with exponential backoff and jitter.
 *
 * @module
 */

import { type IrcMessage, parseMessage, serializeMessage } from "../../protocol/message.ts";
import { BROWSER_CAPS } from "../../shared/client_defaults.ts";
import { encodePlain } from "../../shared/sasl_plain.ts";
import { MODERN_CAPS } from "../../shared/modern_caps.ts";
import { METADATA_CAP } from "./metadata.ts";
import { type MultilineLimits, parseMultilineCap } from "../../shared/multiline_batch.ts";

/** Every capability the page asks for when offered. */
const WANTED_CAPS: readonly string[] = [...BROWSER_CAPS, ...MODERN_CAPS, METADATA_CAP];

/** One line on the wire; line breaks inside a parameter become spaces, so no text can
 * smuggle a second command. */
function format(command: string, params: string[] = [], tags: Record<string, string> = {}): string {
  const clean = params.map((p) => p.replace(/[\r\n\0]+/g, " "));
  return serializeMessage({ tags, command, params: clean });
}

/** What the connection tells the app. */
export interface ConnectionEvents {
  /** Every message from the server, in order. */
  message(msg: IrcMessage): void;
  /** Connection state changes; `retryIn` is set while waiting to reconnect (ms). */
  status(state: ConnectionState, detail: string, retryIn?: number): void;
  /** Registration completed (also after each reconnect). */
  registered(nick: string): void;
}

/** Where the connection is. */
export type ConnectionState = "connecting" | "registering" | "connected" | "waiting" | "closed";

/** Who to be. */
export interface Identity {
  /** The nick to ask for: the one the server last granted this tab, once it granted one. */
  nick: string;
  /** The server password (sent with PASS), "" for none. */
  serverPassword: string;
  /** An account to log in to with SASL PLAIN at every (re)connect. */
  credential?: { account: string; password: string };
}

/**
 * The delay before reconnect attempt `n` (0-based): doubling from 1 s up to 30 s, with
 * jitter so a restarted server is not hit by every browser at the same instant.
 *
 * @example
 * ```ts
 * import { backoff } from "./irc_socket.ts";
 * backoff(0, 0.5); // 1000
 * backoff(10, 0.5); // 30000
 * ```
 */
export function backoff(attempt: number, random: number = Math.random()): number {
  const base = Math.min(30000, 1000 * 2 ** attempt);
  return Math.round(base * (0.75 + random * 0.5));
}

/**
 * One logical connection that survives drops by reconnecting.
 *
 * @example
 * ```ts ignore
 * const c = new IrcConnection("ws://localhost:8080/irc", { nick: "ann", serverPassword: "" }, events);
 * c.connect();
 * c.send("JOIN", ["#lobby"]);
 * ```
 */
export class IrcConnection {
  readonly url: string;
  identity: Identity;
  /** Capabilities the server offers. */
  readonly available: Map<string, string> = new Map();
  /** Capabilities enabled on this connection. */
  readonly enabled: Set<string> = new Set();
  nick: string;
  registered = false;
  #events: ConnectionEvents;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #lsDone = false;
  #saslBusy = false;

  constructor(url: string, identity: Identity, events: ConnectionEvents) {
    this.url = url;
    this.identity = identity;
    this.nick = identity.nick;
    this.#events = events;
  }

  /** Whether a capability is enabled. */
  has(cap: string): boolean {
    return this.enabled.has(cap);
  }

  /** The chathistory capability in use, if any. */
  get chathistory(): boolean {
    return (this.has("draft/chathistory") || this.has("chathistory")) && this.has("batch");
  }

  /** The draft/multiline limits when the capability is enabled (with batch). */
  get multiline(): MultilineLimits | undefined {
    if (!this.has("draft/multiline") || !this.has("batch")) return undefined;
    return parseMultilineCap(this.available.get("draft/multiline") ?? "");
  }

  /** Opens the WebSocket (again). */
  connect(): void {
    clearTimeout(this.#timer);
    this.#stopped = false;
    this.#open();
  }

  /** Closes for good (no reconnect), sending QUIT first. */
  quit(reason = "Leaving"): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#ws?.readyState === WebSocket.OPEN) this.sendRaw(format("QUIT", [reason]));
    this.#ws?.close(1000);
    this.#events.status("closed", "disconnected");
  }

  /** Reconnects now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    if (!this.#ws || this.#ws.readyState === WebSocket.CLOSED) this.#open();
  }

  /** Sends a command; false if not connected. */
  send(command: string, params: string[] = [], tags: Record<string, string> = {}): boolean {
    return this.sendRaw(format(command, params, tags));
  }

  /** Sends one raw line (line breaks are cut off). */
  sendRaw(line: string): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(line.replace(/[\r\n].*$/s, ""));
    return true;
  }

  #open(): void {
    this.available.clear();
    this.enabled.clear();
    this.registered = false;
    this.#lsDone = false;
    this.#saslBusy = false;
    this.nick = this.identity.nick;
    this.#events.status("connecting", "connecting");
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, ["text.ircv3.net"]);
    } catch (err) {
      this.#scheduleRetry(String(err));
      return;
    }
    this.#ws = ws;
    ws.addEventListener("open", () => {
      this.#events.status("registering", "signing in");
      this.sendRaw("CAP LS 302");
    });
    ws.addEventListener("message", (ev) => {
      if (typeof ev.data !== "string") return;
      const msg = parseMessage(ev.data);
      if (msg) this.#handle(msg);
    });
    ws.addEventListener("close", (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.registered = false;
      if (this.#stopped) return;
      this.#scheduleRetry(ev.reason || "connection lost");
    });
  }

  #scheduleRetry(why: string): void {
    const delay = backoff(this.#attempt++);
    this.#events.status("waiting", why, delay);
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  #handle(msg: IrcMessage): void {
    const p = msg.params;
    switch (msg.command) {
      case "PING":
        this.send("PONG", p);
        return;
      case "CAP":
        this.#cap(msg);
        break;
      case "AUTHENTICATE":
        if (p[0] === "+") this.#saslPlain();
        break;
      case "900":
        break;
      case "903":
      case "904":
      case "905":
      case "906":
      case "907":
      case "908":
        if (this.#saslBusy) {
          this.#saslBusy = false;
          this.sendRaw("CAP END");
        }
        break;
      case "433":
        if (!this.registered) {
          // nick taken at sign-in: try a variant rather than hang
          const base = (p[1] ?? this.nick).slice(0, 20);
          this.nick = base.endsWith("_") ? base + Math.floor(Math.random() * 100) : base + "_";
          this.send("NICK", [this.nick]);
        }
        break;
      case "001":
        this.registered = true;
        this.nick = p[0] ?? this.nick;
        this.#attempt = 0;
        this.#events.status("connected", "connected");
        this.#events.registered(this.nick);
        break;
    }
    this.#events.message(msg);
  }

  #cap(msg: IrcMessage): void {
    const p = msg.params;
    const sub = (p[1] ?? "").toUpperCase();
    const list = (p[p.length - 1] ?? "").split(" ").filter((s) => s !== "");
    if (sub === "LS" || sub === "NEW") {
      for (const item of list) {
        const eq = item.indexOf("=");
        this.available.set(
          eq === -1 ? item : item.slice(0, eq),
          eq === -1 ? "" : item.slice(eq + 1),
        );
      }
      const more = p[2] === "*" && p.length > 3;
      if (sub === "LS" && !more && !this.#lsDone) {
        this.#lsDone = true;
        this.#register();
      } else if (sub === "NEW") {
        const want = WANTED_CAPS.filter((c) => list.some((i) => i.split("=")[0] === c));
        if (want.length > 0) this.send("CAP", ["REQ", want.join(" ")]);
      }
    } else if (sub === "ACK") {
      for (const c of list) {
        if (c.startsWith("-")) this.enabled.delete(c.slice(1));
        else this.enabled.add(c);
      }
      if (!this.registered) {
        if (this.enabled.has("sasl") && this.identity.credential) {
          this.#saslBusy = true;
          this.send("AUTHENTICATE", ["PLAIN"]);
        } else this.sendRaw("CAP END");
      }
    } else if (sub === "NAK") {
      if (!this.registered) this.sendRaw("CAP END");
    } else if (sub === "DEL") {
      for (const c of list) {
        this.enabled.delete(c);
        this.available.delete(c);
      }
    }
  }

  #register(): void {
    const { serverPassword, credential } = this.identity;
    const sasl = this.available.has("sasl") && credential !== undefined;
    if (serverPassword !== "") this.send("PASS", [serverPassword]);
    else if (credential && !sasl) {
      // no SASL offered: the server may still take the login as PASS account:password
      this.send("PASS", [`${credential.account}:${credential.password}`]);
    }
    this.send("NICK", [this.nick]);
    this.send("USER", [this.nick, "0", "*", `${this.nick} (web)`]);
    const want = WANTED_CAPS.filter((c) => this.available.has(c));
    if (sasl) want.push("sasl");
    if (want.length > 0) this.send("CAP", ["REQ", want.join(" ")]);
    else this.sendRaw("CAP END");
  }

  #saslPlain(): void {
    const c = this.identity.credential;
    if (!c) {
      this.send("AUTHENTICATE", ["*"]);
      return;
    }
    for (const chunk of encodePlain(c.account, c.password)) this.send("AUTHENTICATE", [chunk]);
  }
}
