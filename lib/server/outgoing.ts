/**
 * A message on its way out, serialized lazily and at most once per tag form, so a
 * broadcast to a thousand members is encoded a handful of times, not a thousand.
 *
 * @module
 */

import { escapeTagValue, serializeBody } from "../protocol/message.ts";
import { TAG_FORMS, tagAllowed } from "./caps.ts";

const encoder = new TextEncoder();

// commands whose last parameter is a name, not free text, and goes out without ':'
// (including numerics with no description: their last parameter is data)
const NAME_LAST = new Set([
  "NICK",
  "MODE",
  "INVITE",
  "BATCH",
  "PING",
  "TAGMSG",
  "ACCOUNT",
  "AUTHENTICATE",
  "MARKREAD",
  "004",
  "221",
  "324",
  "329",
  "333",
  "341",
  "346",
  "348",
  "367",
]);

/**
 * One outgoing message. `bytes(mask)` returns the wire form (with CRLF) for sessions whose
 * enabled capabilities give that tag mask; the result is cached and shared.
 *
 * @example
 * ```ts
 * import { Outgoing } from "./outgoing.ts";
 * const out = new Outgoing("srv", "NOTICE", ["*", "hello"], { time: "2024-01-01T00:00:00.000Z" });
 * new TextDecoder().decode(out.bytes(0)); // ":srv NOTICE * :hello\r\n"
 * ```
 */
export class Outgoing {
  readonly source: string | undefined;
  readonly command: string;
  readonly params: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  #body: string | undefined;
  #forms: (Uint8Array | undefined)[] | undefined;

  constructor(
    source: string | undefined,
    command: string,
    params: readonly string[],
    tags: Record<string, string> = {},
  ) {
    this.source = source;
    this.command = command;
    this.params = params;
    this.tags = tags;
  }

  /** The message without tags or CRLF. */
  get body(): string {
    const cmd = this.command;
    // JOIN and PART end in free text only with extended-join's real name or a part reason,
    // REDACT only with a reason (its msgid is a name)
    const force = cmd === "JOIN" || cmd === "PART"
      ? this.params.length > 1
      : cmd === "REDACT"
      ? this.params.length > 2
      : !NAME_LAST.has(cmd);
    return this.#body ??= serializeBody(this.source, this.command, this.params, force);
  }

  /** The line (without CRLF) for a tag mask, with optional per-session extra tags. */
  line(mask: number, extra?: Record<string, string>): string {
    let tags = "";
    if (extra) {
      for (const k in extra) tags += (tags ? ";" : "") + formatTag(k, extra[k]);
    }
    for (const k in this.tags) {
      if (tagAllowed(k, mask)) tags += (tags ? ";" : "") + formatTag(k, this.tags[k]);
    }
    return tags === "" ? this.body : `@${tags} ${this.body}`;
  }

  /**
   * Whether, for a tag mask, this is one logical message that a label can go on alone (a
   * multiline message sent as separate lines is not).
   */
  single(_mask: number): boolean {
    return true;
  }

  /** The encoded line with CRLF for a tag mask; cached per mask. */
  bytes(mask: number): Uint8Array {
    const forms = this.#forms ??= new Array(TAG_FORMS);
    return forms[mask] ??= encoder.encode(this.line(mask) + "\r\n");
  }

  /** The encoded line with extra per-session tags (label, batch); never cached. */
  bytesWith(mask: number, extra: Record<string, string>): Uint8Array {
    return encoder.encode(this.line(mask, extra) + "\r\n");
  }
}

/**
 * The encoded `ERROR :<text>` line a closing connection gets.
 *
 * @example
 * ```ts
 * import { errorLine } from "./outgoing.ts";
 * new TextDecoder().decode(errorLine("Server shutting down")); // "ERROR :Server shutting down\r\n"
 * ```
 */
export function errorLine(text: string): Uint8Array {
  return new Outgoing(undefined, "ERROR", [text]).bytes(0);
}

function formatTag(key: string, value: string): string {
  return value === "" ? key : `${key}=${escapeTagValue(value)}`;
}
