/**
 * Registration as pure code: capability negotiation (CAP LS 302, REQ, ACK/NAK/DEL), SASL
 * PLAIN, nick fallback while registering, and the account we end up logged in to. Messages
 * go in, a {@link RegStep} (lines to send, notes for the user) comes out; no sockets, no
 * timers, so every path is testable line by line.
 *
 * @module
 */

import { type IrcMessage, message, serializeMessage } from "../protocol/message.ts";
import * as N from "../protocol/numerics.ts";
import { casefold } from "../protocol/casemap.ts";
import { encodePlain } from "../shared/sasl_plain.ts";
import { TERMINAL_CAPS } from "../shared/client_defaults.ts";
import { SOFTWARE } from "../version.ts";
import { MODERN_CAPS } from "../shared/modern_caps.ts";
import { ACTIVE_WINDOW, type LineKind, STATUS_WINDOW } from "./events.ts";
import { parseStsValue } from "./sts.ts";

/**
 * Capabilities the client asks for when the server offers them.
 *
 * @example
 * ```ts
 * import { WANTED_CAPS } from "./registration.ts";
 * import assert from "node:assert/strict";
 * assert.ok(WANTED_CAPS.includes("server-time"));
 * ```
 */
export const WANTED_CAPS: readonly string[] = [...TERMINAL_CAPS, ...MODERN_CAPS];

/**
 * Account credentials for SASL PLAIN.
 *
 * @example
 * ```ts
 * import type { Credentials } from "./registration.ts";
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
 * Something to tell the user.
 *
 * @example
 * ```ts
 * import type { RegNote } from "./registration.ts";
 * const n: RegNote = { window: "", kind: "info", text: "You are logged in as ann." };
 * ```
 */
export interface RegNote {
  /** STATUS_WINDOW or ACTIVE_WINDOW. */
  window: string;
  /** "info" or "error". */
  kind: LineKind;
  /** A full sentence. */
  text: string;
}

/**
 * What handling one message produced.
 *
 * @example
 * ```ts
 * import type { RegStep } from "./registration.ts";
 * const s: RegStep = { send: ["CAP END"], notes: [], consumed: true };
 * ```
 */
export interface RegStep {
  /** Lines to send, in order. */
  send: string[];
  /** Lines for the user. */
  notes: RegNote[];
  /** Nothing else needs to look at the message (false: the client handles it too). */
  consumed: boolean;
  /** RPL_WELCOME arrived: registered. */
  welcome?: boolean;
  /** The account (or logged-in state) changed. */
  accountChanged?: boolean;
  /** A plain connection was told by `sts` to use TLS on this port: leave and come back. */
  stsUpgrade?: number;
  /** Over TLS, `sts` gave a policy to keep for this many seconds (0 = forget). */
  stsDuration?: number;
}

/**
 * Options of {@link Registration}.
 *
 * @example
 * ```ts
 * import type { RegistrationOptions } from "./registration.ts";
 * const o: RegistrationOptions = { nick: "ann" };
 * ```
 */
export interface RegistrationOptions {
  /** The wanted nick. */
  nick: string;
  /** The user name sent in USER (default: the nick's letters and digits). */
  username?: string;
  /** The real name sent in USER. */
  realname?: string;
  /** Log in with SASL PLAIN at every connect. */
  sasl?: Credentials;
  /** Random source for guest nicks, in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Nick lengths tried, longest first, when the server refuses a nick (most say NICKLEN late). */
const NICK_LENGTHS = [30, 16, 9];

/** How many fallback nicks to try before a random guest nick. */
const MAX_NICK_TRIES = 8;

/**
 * The registration state of one client across its connections.
 *
 * @example
 * ```ts
 * import { Registration } from "./registration.ts";
 * import { parseMessage } from "../protocol/message.ts";
 * import assert from "node:assert/strict";
 * const reg = new Registration({ nick: "ann", realname: "Ann" });
 * assert.deepEqual(reg.begin(false), ["CAP LS 302", "NICK ann", "USER ann 0 * Ann"]);
 * const step = reg.handle(parseMessage(":srv CAP * LS :server-time sasl")!)!;
 * assert.deepEqual(step.send, ["CAP REQ server-time"]);
 * ```
 */
export class Registration {
  readonly #opts: RegistrationOptions;
  readonly #random: () => number;
  #nick: string;
  #wantedNick: string;
  #nickTries = 0;
  /** Why the wanted nick was not granted while registering, told once at welcome. */
  #refusedAs: "taken" | "not allowed" | undefined;
  #registered = false;
  #tls = false;
  #caps = new Set<string>();
  #capLs: string[] = [];
  #offered = new Map<string, string>();
  /** Credentials for SASL at connect (from the options, or remembered after /login). */
  #sasl: Credentials | undefined;
  /** A SASL exchange in progress on this connection. */
  #saslPending: Credentials | undefined;
  /** A NickServ IDENTIFY waiting for its answer, to remember the credentials on success. */
  #identifyPending: Credentials | undefined;
  #account: string | undefined;

  constructor(opts: RegistrationOptions) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.#nick = opts.nick;
    this.#wantedNick = opts.nick;
    this.#sasl = opts.sasl;
  }

  /** Our nick (on this connection, or the one we will ask for). */
  get nick(): string {
    return this.#nick;
  }
  /** The nick the user asked for, which a fallback does not change. */
  get wantedNick(): string {
    return this.#wantedNick;
  }
  /** RPL_WELCOME seen on this connection. */
  get registered(): boolean {
    return this.#registered;
  }
  /** Capabilities the server acknowledged. */
  get caps(): ReadonlySet<string> {
    return this.#caps;
  }
  /** Capabilities the server offers, with their values. */
  get offered(): ReadonlyMap<string, string> {
    return this.#offered;
  }
  /** The account we are logged in to, if any. */
  get account(): string | undefined {
    return this.#account;
  }
  /**
   * The credentials of the account we are logged in to with them (SASL at connect, or a
   * successful /login), for HTTP uploads to the server's file host; undefined otherwise.
   */
  get credentials(): Credentials | undefined {
    return this.#account !== undefined ? this.#sasl : undefined;
  }

  /** A new connection: forget its state and return the opening lines. */
  begin(tls: boolean): string[] {
    this.#tls = tls;
    this.#registered = false;
    this.#caps = new Set();
    this.#capLs = [];
    this.#offered = new Map();
    this.#saslPending = undefined;
    this.#identifyPending = undefined;
    this.#account = undefined;
    this.#nickTries = 0;
    this.#refusedAs = undefined;
    this.#nick = this.#wantedNick;
    const user = this.#opts.username ?? this.#wantedNick.replace(/[^A-Za-z0-9]/g, "");
    return [
      "CAP LS 302",
      serializeMessage(message("NICK", [this.#nick])),
      serializeMessage(
        message("USER", [user || "user", "0", "*", this.#opts.realname ?? `${SOFTWARE} user`]),
      ),
    ];
  }

  /** The connection is gone. */
  end(): void {
    this.#registered = false;
  }

  /** The user asked for a nick with /nick: ask for it again after a reconnect. */
  want(nick: string): void {
    this.#wantedNick = nick;
  }

  /** The server accepted a nick change of ours. */
  renamed(to: string): void {
    this.#nick = to;
    this.#wantedNick = to;
  }

  /**
   * Lines that log in with `creds`: SASL while still registering (if acknowledged), else
   * NickServ IDENTIFY; undefined when neither is possible now. Successful credentials are
   * kept (in memory only) to log in again with SASL after a reconnect.
   */
  login(creds: Credentials): RegStep | undefined {
    if (!this.#registered) {
      if (!this.#caps.has("sasl")) return undefined;
      this.#saslPending = creds;
      return { send: ["AUTHENTICATE PLAIN"], notes: [], consumed: true };
    }
    this.#identifyPending = creds;
    return {
      send: [
        serializeMessage(
          message("PRIVMSG", ["NickServ", `IDENTIFY ${creds.account} ${creds.password}`]),
        ),
      ],
      notes: [{ window: ACTIVE_WINDOW, kind: "info", text: `Logging in as ${creds.account}…` }],
      consumed: true,
    };
  }

  /**
   * An account is being registered with these credentials: kept (as after /login) once the
   * server says we are logged in to it, for uploads and SASL after a reconnect.
   */
  registering(creds: Credentials): void {
    this.#identifyPending = creds;
  }

  /** Handles a message if it is registration's business; undefined otherwise. */
  handle(msg: IrcMessage): RegStep | undefined {
    const p = msg.params;
    const step: RegStep = { send: [], notes: [], consumed: true };
    switch (msg.command) {
      case "CAP":
        this.#onCap(p, step);
        return step;
      case "AUTHENTICATE":
        if (p[0] === "+" && this.#saslPending) {
          const { account, password } = this.#saslPending;
          for (const chunk of encodePlain(account, password)) {
            step.send.push(`AUTHENTICATE ${chunk}`);
          }
        }
        return step;
      case N.RPL_LOGGEDIN:
        this.#account = p[2] ?? this.#account;
        if (this.#identifyPending) this.#sasl = this.#identifyPending;
        this.#identifyPending = undefined;
        step.notes.push({
          window: STATUS_WINDOW,
          kind: "info",
          text: `You are logged in as ${p[2] ?? "?"}.`,
        });
        step.accountChanged = true;
        return step;
      case N.RPL_LOGGEDOUT:
        this.#account = undefined;
        step.notes.push({ window: STATUS_WINDOW, kind: "info", text: "You are logged out." });
        step.accountChanged = true;
        return step;
      case N.RPL_SASLSUCCESS:
        if (this.#saslPending) this.#sasl = this.#saslPending;
        this.#saslPending = undefined;
        if (!this.#registered) step.send.push("CAP END");
        return step;
      case N.ERR_SASLFAIL:
      case N.ERR_SASLTOOLONG:
      case N.ERR_SASLABORTED:
      case N.ERR_SASLALREADY: {
        const who = this.#saslPending?.account ?? "your account";
        if (msg.command !== N.ERR_SASLALREADY) {
          step.notes.push({
            window: ACTIVE_WINDOW,
            kind: "error",
            text: `Logging in as ${who} failed (${p[p.length - 1] ?? "SASL failed"}); ` +
              "you are connected without an account.",
          });
        }
        this.#saslPending = undefined;
        if (!this.#registered) step.send.push("CAP END");
        return step;
      }
      case N.RPL_SASLMECHS:
        return step;
      case N.RPL_WELCOME:
        this.#onWelcome(msg, step);
        return step;
      case N.ERR_NICKNAMEINUSE:
      case N.ERR_ERRONEUSNICKNAME:
      case "437":
        if (this.#registered) return undefined;
        this.#nextNick(msg.command, p[1] ?? this.#nick, step);
        return step;
      case N.ERR_UNKNOWNCOMMAND:
        // a server without CAP: registration goes on without it
        if (!this.#registered && (p[1] ?? "").toUpperCase() === "CAP") return step;
        return undefined;
      default:
        return undefined;
    }
  }

  #onWelcome(msg: IrcMessage, step: RegStep): void {
    this.#registered = true;
    step.welcome = true;
    step.consumed = false;
    if (msg.params[0]) this.#nick = msg.params[0];
    if (casefold(this.#nick) !== casefold(this.#wantedNick)) {
      // one sentence for however many nicks were tried
      const why = this.#refusedAs === "not allowed"
        ? "is not allowed here (too long, or a character this server refuses)"
        : "was taken";
      step.notes.push({
        window: ACTIVE_WINDOW,
        kind: "info",
        text:
          `The nickname ${this.#wantedNick} ${why}, so you are ${this.#nick}. Use /nick to pick another.`,
      });
    }
  }

  #onCap(p: string[], step: RegStep): void {
    const sub = (p[1] ?? "").toUpperCase();
    const end = () => {
      if (!this.#registered) step.send.push("CAP END");
    };
    if (sub === "LS") {
      const more = p[2] === "*";
      this.#capLs.push(...(p[p.length - 1] ?? "").split(" ").filter((c) => c !== ""));
      if (more) return;
      for (const c of this.#capLs) {
        const eq = c.indexOf("=");
        this.#offered.set(eq === -1 ? c : c.slice(0, eq), eq === -1 ? "" : c.slice(eq + 1));
      }
      const offered = this.#offered;
      const sts = offered.get("sts");
      if (sts !== undefined) {
        const v = parseStsValue(sts);
        if (!this.#tls && v.port !== undefined) {
          // the connection is to be left for TLS: negotiate nothing on it
          step.stsUpgrade = v.port;
          return;
        }
        if (this.#tls && v.duration !== undefined) step.stsDuration = v.duration;
      }
      const want = WANTED_CAPS.filter((c) => offered.has(c));
      if (this.#sasl) {
        const mechs = offered.get("sasl");
        if (
          mechs !== undefined && (mechs === "" || mechs.toUpperCase().split(",").includes("PLAIN"))
        ) {
          want.push("sasl");
        } else {
          step.notes.push({
            window: STATUS_WINDOW,
            kind: "error",
            text:
              `This server does not offer SASL PLAIN login; connecting without logging in as ${this.#sasl.account}.`,
          });
        }
      }
      if (want.length === 0) end();
      else step.send.push(serializeMessage(message("CAP", ["REQ", want.join(" ")])));
    } else if (sub === "ACK") {
      for (const c of (p[p.length - 1] ?? "").split(" ")) {
        if (c === "") continue;
        if (c.startsWith("-")) this.#caps.delete(c.slice(1));
        else this.#caps.add(c);
      }
      if (!this.#registered && this.#caps.has("sasl") && this.#sasl && !this.#saslPending) {
        // CAP END waits until the server says how the login went (903 or 90x)
        this.#saslPending = this.#sasl;
        step.send.push("AUTHENTICATE PLAIN");
        return;
      }
      end();
    } else if (sub === "NAK") {
      end();
    } else if (sub === "DEL") {
      for (const c of (p[p.length - 1] ?? "").split(" ")) this.#caps.delete(c);
    }
  }

  #guestNick(): string {
    return "guest" + String(Math.floor(this.#random() * 90000) + 10000);
  }

  #nextNick(code: string, rejected: string, step: RegStep): void {
    this.#nickTries++;
    const refused = code === N.ERR_ERRONEUSNICKNAME;
    this.#refusedAs ??= refused ? "not allowed" : "taken";
    let next: string;
    if (this.#nickTries > MAX_NICK_TRIES) {
      next = this.#guestNick();
    } else if (refused) {
      // most often too long: try the common limits; a bad character gets a guest name
      const len = NICK_LENGTHS.find((n) => n < rejected.length);
      next = len !== undefined ? rejected.slice(0, len) : this.#guestNick();
    } else {
      next = rejected + "_";
    }
    this.#nick = next;
    step.send.push(serializeMessage(message("NICK", [next])));
  }
}
