/**
 * IRC messages as data: parsing a line into a {@link IrcMessage} and serializing one back.
 *
 * Pure functions only; follows the message format of modern.ircdocs.horse and the
 * IRCv3 message-tags specification (tag value escaping included).
 *
 * @module
 */

/** One IRC message: optional tags and source, a command (verb or numeric), parameters. */
export interface IrcMessage {
  /** Message tags (IRCv3). A tag with no value maps to the empty string. */
  tags: Record<string, string>;
  /** The source (prefix) without the leading ':', or undefined. */
  source?: string;
  /** The command, upper-cased when parsed (numerics stay as three digits). */
  command: string;
  /** Parameters; the last may contain spaces (it is sent as a trailing parameter). */
  params: string[];
}

const TAG_UNESCAPES: Record<string, string> = {
  ":": ";",
  "s": " ",
  "\\": "\\",
  "r": "\r",
  "n": "\n",
};

/**
 * Unescapes an IRCv3 tag value.
 *
 * @example
 * ```ts
 * import { unescapeTagValue } from "./message.ts";
 * unescapeTagValue("a\\sb\\:c"); // "a b;c"
 * ```
 */
export function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    i++;
    if (i >= value.length) break; // a lone trailing backslash is dropped
    const next = value[i];
    out += TAG_UNESCAPES[next] ?? next;
  }
  return out;
}

/**
 * Escapes a tag value for the wire.
 *
 * @example
 * ```ts
 * import { escapeTagValue } from "./message.ts";
 * escapeTagValue("a b;c"); // "a\\sb\\:c"
 * ```
 */
export function escapeTagValue(value: string): string {
  if (!/[; \\\r\n]/.test(value)) return value;
  let out = "";
  for (const ch of value) {
    switch (ch) {
      case ";":
        out += "\\:";
        break;
      case " ":
        out += "\\s";
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\n":
        out += "\\n";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** Characters no parameter or tag value may carry: a receiver could read them as a line end. */
const LINE_BREAKING = /[\0\r\n]/g;

function withoutLineBreaks(s: string): string {
  return s.search(LINE_BREAKING) === -1 ? s : s.replace(LINE_BREAKING, "");
}

/**
 * Parses the tag section (without the leading '@') into a record. Values escaped to CR or
 * LF (`\r`, `\n`) and NULs lose those characters: no tag value may carry a line break on.
 *
 * @example
 * ```ts
 * import { parseTags } from "./message.ts";
 * parseTags("time=2024-01-01T00:00:00.000Z;+typing=active;bot");
 * // { time: "2024-01-01T00:00:00.000Z", "+typing": "active", bot: "" }
 * parseTags("+draft/reply=a\\rb\\nc"); // { "+draft/reply": "abc" }
 * ```
 */
export function parseTags(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of raw.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq === -1) tags[part] = "";
    else tags[part.slice(0, eq)] = withoutLineBreaks(unescapeTagValue(part.slice(eq + 1)));
  }
  return tags;
}

/**
 * Parses one IRC line (without CR/LF). Returns undefined for a line with no command
 * (empty, only spaces, or only tags/source), which servers silently ignore. NUL, CR and LF
 * are removed wherever they appear (the framer already refuses such lines from clients;
 * this keeps any other caller from passing a line break on in a parameter).
 *
 * @example
 * ```ts
 * import { parseMessage } from "./message.ts";
 * const m = parseMessage("@id=1 :nick!u@h PRIVMSG #chan :hello there");
 * // m.command === "PRIVMSG", m.params === ["#chan", "hello there"], m.tags.id === "1"
 * ```
 */
export function parseMessage(raw: string): IrcMessage | undefined {
  const line = withoutLineBreaks(raw);
  let pos = 0;
  const len = line.length;
  let tags: Record<string, string> = {};
  let source: string | undefined;

  const skipSpaces = () => {
    while (pos < len && line.charCodeAt(pos) === 32) pos++;
  };
  const readWord = (): string => {
    const start = pos;
    while (pos < len && line.charCodeAt(pos) !== 32) pos++;
    return line.slice(start, pos);
  };

  skipSpaces();
  if (line.charCodeAt(pos) === 64 /* @ */) {
    pos++;
    tags = parseTags(readWord());
    skipSpaces();
  }
  if (line.charCodeAt(pos) === 58 /* : */) {
    pos++;
    source = readWord();
    skipSpaces();
  }
  const command = readWord().toUpperCase();
  if (command === "") return undefined;

  const params: string[] = [];
  for (;;) {
    skipSpaces();
    if (pos >= len) break;
    if (line.charCodeAt(pos) === 58 /* : */) {
      params.push(line.slice(pos + 1));
      break;
    }
    params.push(readWord());
  }
  return { tags, source, command, params };
}

/**
 * Serializes the tags of a message (without '@' and the trailing space).
 *
 * @example
 * ```ts
 * import { serializeTags } from "./message.ts";
 * serializeTags({ a: "1", b: "" }); // "a=1;b"
 * ```
 */
export function serializeTags(tags: Record<string, string>): string {
  let out = "";
  for (const key in tags) {
    const value = tags[key];
    if (out !== "") out += ";";
    out += value === "" ? key : `${key}=${escapeTagValue(value)}`;
  }
  return out;
}

/**
 * Serializes the part of a message after the tags: source, command and parameters.
 * The last parameter is sent as trailing (with ':') when it needs to be (empty, has a
 * space, or starts with ':') or when `forceTrailing` asks for it, as servers traditionally
 * do for free text such as a message body or a numeric's description.
 *
 * @example
 * ```ts
 * import { serializeBody } from "./message.ts";
 * serializeBody("srv", "PRIVMSG", ["#c", "hi you"]); // ":srv PRIVMSG #c :hi you"
 * ```
 */
export function serializeBody(
  source: string | undefined,
  command: string,
  params: readonly string[],
  forceTrailing = false,
): string {
  let out = source ? `:${source} ${command}` : command;
  const last = params.length - 1;
  for (let i = 0; i < last; i++) out += " " + middle(params[i]);
  if (last >= 0) {
    const p = params[last];
    if (forceTrailing || p === "" || p.charCodeAt(0) === 58 || p.includes(" ")) out += " :" + p;
    else out += " " + p;
  }
  return out;
}

/** A middle parameter can hold no space, cannot be empty or start with ':'; keep it parseable. */
function middle(p: string): string {
  if (p === "") return "*";
  const safe = p.includes(" ") ? p.replaceAll(" ", "_") : p;
  return safe.charCodeAt(0) === 58 ? "_" + safe.slice(1) : safe;
}

/**
 * Serializes a whole message to one line without CRLF.
 *
 * @example
 * ```ts
 * import { serializeMessage } from "./message.ts";
 * serializeMessage({ tags: { msgid: "x" }, command: "PING", params: ["t"] }); // "@msgid=x PING t"
 * ```
 */
export function serializeMessage(msg: IrcMessage): string {
  const body = serializeBody(msg.source, msg.command, msg.params);
  const tags = serializeTags(msg.tags);
  return tags === "" ? body : `@${tags} ${body}`;
}

/**
 * Builds a message record; a short-hand for tests and clients.
 *
 * @example
 * ```ts
 * import { message } from "./message.ts";
 * message("PRIVMSG", ["#chan", "hello"]);
 * ```
 */
export function message(
  command: string,
  params: string[] = [],
  source?: string,
  tags: Record<string, string> = {},
): IrcMessage {
  return { tags, source, command, params };
}
