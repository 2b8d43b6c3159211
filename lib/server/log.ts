/**
 * The operator's log: one line per event worth knowing about (connections, registrations,
 * logins, operator actions, kicks and bans), as text for people or one JSON object per line
 * for machines. Never message text, never a password.
 *
 * Each line is formatted into one string and written with one `console.log` (warnings and
 * errors with `console.error`), so a connection costs one short write; nothing is logged
 * per message.
 *
 * @module
 */

import type { ModeChange } from "../protocol/modes.ts";
import type { Channel } from "./channel.ts";
import type { ServerEvents } from "./events.ts";
import type { User } from "./user.ts";

/** How lines are written: `key=value` text, or one JSON object per line. */
export type LogFormat = "text" | "json";

/**
 * How much matters: `info` for the events of a running server, `notice` for the start-up
 * lines an operator needs (addresses, a new admin password), `warn` and `error` for trouble.
 */
export type LogLevel = "info" | "notice" | "warn" | "error";

/** The values of a line; undefined ones are left out. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** How a {@link Logger} writes. */
export interface LoggerOptions {
  /** Text (default) or JSON lines. */
  format?: LogFormat;
  /** Only notices, warnings and errors: no per-event `info` lines. */
  quiet?: boolean;
  /** Where a finished line goes (default: console.log, console.error for warn and error). */
  write?: (line: string, level: LogLevel) => void;
}

// a value that needs no quotes in the text form: printable, no spaces, quotes or '=', no
// Unicode line separators (a log reader could take them for a new line)
const BARE = /^[\x21\x23-\x3c\x3e-\x7e\u00a0-\u2027\u202a-\uffff]+$/;

function consoleWrite(line: string, level: LogLevel): void {
  try {
    if (level === "warn" || level === "error") console.error(line);
    else console.log(line);
  } catch {
    // a closed or broken stdout must not take the server down with it
  }
}

/**
 * The logger.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Logger } from "./log.ts";
 * const lines: string[] = [];
 * const log = new Logger({ format: "text", write: (l) => lines.push(l) });
 * log.info("connect", { ip: "10.0.0.2", via: "tcp" });
 * strictEqual(lines[0].slice(24), " connect ip=10.0.0.2 via=tcp");
 * const json = new Logger({ format: "json", write: (l) => lines.push(l) });
 * json.info("kick", { channel: "#lobby", nick: "bob", by: "amy" });
 * strictEqual(JSON.parse(lines[1]).event, "kick");
 * ```
 */
export class Logger {
  /** Whether `info` lines are written (a caller may skip gathering their fields). */
  readonly verbose: boolean;
  readonly #json: boolean;
  readonly #write: (line: string, level: LogLevel) => void;
  #lastMs = 0;
  #lastTime = "";

  constructor(options: LoggerOptions = {}) {
    this.verbose = options.quiet !== true;
    this.#json = options.format === "json";
    this.#write = options.write ?? consoleWrite;
  }

  /** An event of a running server (left out with `quiet`). */
  info(event: string, fields?: LogFields): void {
    if (this.verbose) this.#line("info", event, fields);
  }

  /**
   * A line the operator needs whether quiet or not (start-up addresses; at `warn` or
   * `error`, trouble described in a sentence), as that plain sentence in the text form.
   */
  notice(text: string, level: "notice" | "warn" | "error" = "notice"): void {
    if (this.#json) this.#line(level, "notice", { text });
    else this.#write(text, level);
  }

  /** Something went wrong but the server carries on. */
  warn(event: string, fields?: LogFields): void {
    this.#line("warn", event, fields);
  }

  /** Something failed. */
  error(event: string, fields?: LogFields): void {
    this.#line("error", event, fields);
  }

  /** The ISO time of now, made once per millisecond however many lines share it. */
  #now(): string {
    const ms = Date.now();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTime = new Date(ms).toISOString();
    }
    return this.#lastTime;
  }

  #line(level: LogLevel, event: string, fields: LogFields | undefined): void {
    const time = this.#now();
    let line: string;
    if (this.#json) {
      line = `{"time":"${time}","level":"${level}","event":${JSON.stringify(event)}`;
      if (fields) {
        for (const k in fields) {
          const v = fields[k];
          if (v !== undefined) line += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
        }
      }
      line += "}";
    } else {
      line = level === "info" ? `${time} ${event}` : `${time} ${level.toUpperCase()} ${event}`;
      if (fields) {
        for (const k in fields) {
          const v = fields[k];
          if (v === undefined) continue;
          const s = String(v);
          line += ` ${k}=${BARE.test(s) ? s : JSON.stringify(s)}`;
        }
      }
    }
    this.#write(line, level);
  }
}

/**
 * A disconnect reason fit for the log: a user's own quit message is message text and stays
 * out; the server's reasons (timeouts, kills, K-lines, send queue) stay in.
 *
 * @example
 * ```ts
 * import { logReason } from "./log.ts";
 * logReason("Quit: see you at lunch"); // "Quit"
 * logReason("Ping timeout: 120 seconds"); // "Ping timeout: 120 seconds"
 * ```
 */
export function logReason(reason: string): string {
  return reason.startsWith("Quit: ") || reason === "Client Quit" ? "Quit" : reason;
}

/**
 * The events as the tables report them, with the ones the operator's log shows (a user
 * registered, kicked, a ban set or lifted) written to `log` first. With a quiet log the
 * events come back unchanged. The hot path (messages) goes straight to `inner`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { LOCAL_EVENTS } from "./events.ts";
 * import { loggedEvents, Logger } from "./log.ts";
 * strictEqual(loggedEvents(LOCAL_EVENTS, new Logger({ quiet: true })), LOCAL_EVENTS);
 * ```
 */
export function loggedEvents(inner: ServerEvents, log: Logger): ServerEvents {
  if (!log.verbose) return inner;
  return {
    registered(user: User): void {
      log.info("registered", {
        nick: user.nick,
        user: user.username,
        host: user.host,
        account: user.account,
        via: user.sessions[0]?.conn.kind,
      });
      inner.registered(user);
    },
    userChanged: (user, what) => inner.userChanged(user, what),
    nickChanged: (user, oldNick) => inner.nickChanged(user, oldNick),
    joined: (channel, user, bits) => inner.joined(channel, user, bits),
    parted: (channel, user, reason) => inner.parted(channel, user, reason),
    kicked(channel: Channel, target: User, by: User, reason: string): void {
      // the reason is the kicker's words to the channel: not the log's business
      log.info("kick", { channel: channel.name, nick: target.nick, by: by.nick });
      inner.kicked(channel, target, by, reason);
    },
    quit: (user, reason) => inner.quit(user, reason),
    redacted: (by, target, msgid, out) => inner.redacted(by, target, msgid, out),
    metadataChanged: (target, key, value) => inner.metadataChanged(target, key, value),
    modeChanged(channel: Channel, changes: readonly ModeChange[], by: User): void {
      for (const c of changes) {
        if (c.mode !== "b") continue;
        log.info(c.add ? "ban" : "unban", { channel: channel.name, mask: c.arg, by: by.nick });
      }
      inner.modeChanged(channel, changes, by);
    },
    topicChanged: (channel, by) => inner.topicChanged(channel, by),
    channelRegistered: (folded, registration) => inner.channelRegistered(folded, registration),
    defersHistory: inner.defersHistory,
    message: (from, target, out, history) => inner.message(from, target, out, history),
  };
}
