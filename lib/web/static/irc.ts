/**
 * IRC message parsing and formatting for the browser app (no DOM, no I/O; also runs under
 * Deno for the unit tests). The server's own parser lives in lib/protocol, which the browser
 * cannot load, so this is a small independent one.
 *
 * @module
 */

/** One parsed IRC message. */
export interface Msg {
  tags: Record<string, string>;
  /** Source nick (the part before '!'), or the server name; "" when absent. */
  nick: string;
  /** The full source without ':'. */
  source: string;
  command: string;
  params: string[];
}

const UNESCAPES: Record<string, string> = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

/**
 * Parses one line (without CRLF). Returns undefined for an empty or malformed line.
 *
 * @example
 * ```ts
 * import { parse } from "./irc.ts";
 * parse("@time=x :a!b@c PRIVMSG #d :hi there")?.params; // ["#d", "hi there"]
 * ```
 */
export function parse(line: string): Msg | undefined {
  let rest = line;
  const tags: Record<string, string> = {};
  if (rest.startsWith("@")) {
    const sp = rest.indexOf(" ");
    if (sp === -1) return undefined;
    for (const part of rest.slice(1, sp).split(";")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const key = eq === -1 ? part : part.slice(0, eq);
      const raw = eq === -1 ? "" : part.slice(eq + 1);
      tags[key] = raw.replace(/\\(.?)/g, (_, c: string) => UNESCAPES[c] ?? c);
    }
    rest = rest.slice(sp + 1).replace(/^ +/, "");
  }
  let source = "";
  if (rest.startsWith(":")) {
    const sp = rest.indexOf(" ");
    if (sp === -1) return undefined;
    source = rest.slice(1, sp);
    rest = rest.slice(sp + 1).replace(/^ +/, "");
  }
  const params: string[] = [];
  let command = "";
  while (rest !== "") {
    if (command !== "" && rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(" ");
    const word = sp === -1 ? rest : rest.slice(0, sp);
    rest = sp === -1 ? "" : rest.slice(sp + 1).replace(/^ +/, "");
    if (command === "") command = word.toUpperCase();
    else params.push(word);
  }
  if (command === "") return undefined;
  const bang = source.indexOf("!");
  return { tags, source, nick: bang === -1 ? source : source.slice(0, bang), command, params };
}

/**
 * Formats a command with parameters; the last one goes out as trailing when it needs to.
 * Line breaks in parameters are replaced by spaces so a message can never smuggle a second
 * command.
 *
 * @example
 * ```ts
 * import { format } from "./irc.ts";
 * format("PRIVMSG", ["#a", "hello world"]); // "PRIVMSG #a :hello world"
 * format("TAGMSG", ["#a"], { "+typing": "active" }); // "@+typing=active TAGMSG #a"
 * ```
 */
export function format(
  command: string,
  params: string[] = [],
  tags: Record<string, string> = {},
): string {
  const clean = params.map((p) => p.replace(/[\r\n\0]+/g, " "));
  let line = "";
  const tagText = Object.entries(tags).map(([k, v]) =>
    v === "" ? k : `${k}=${v.replace(/[\\; \r\n]/g, (c) => TAG_ESCAPES[c])}`
  ).join(";");
  if (tagText !== "") line += `@${tagText} `;
  line += command;
  clean.forEach((p, i) => {
    const last = i === clean.length - 1;
    if (last && (p === "" || p.includes(" ") || p.startsWith(":"))) line += ` :${p}`;
    else line += ` ${p}`;
  });
  return line;
}

const TAG_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  ";": "\\:",
  " ": "\\s",
  "\r": "\\r",
  "\n": "\\n",
};

/**
 * RFC 1459 case folding (the server's casemapping), for comparing nicks and channels.
 *
 * @example
 * ```ts
 * import { fold } from "./irc.ts";
 * fold("Nick[1]") === fold("nick{1}"); // true
 * ```
 */
export function fold(name: string): string {
  return name.toLowerCase().replace(
    /[[\]\\~]/g,
    (c) => ({ "[": "{", "]": "}", "\\": "|", "~": "^" })[c]!,
  );
}

/**
 * Whether a target is a channel name.
 *
 * @example
 * ```ts
 * import { isChannel } from "./irc.ts";
 * isChannel("#lobby"); // true
 * isChannel("alice"); // false
 * ```
 */
export function isChannel(name: string, types = "#&"): boolean {
  return name.length > 1 && types.includes(name[0]);
}

/**
 * Splits a CTCP ACTION (`/me`) out of a message body.
 *
 * @example
 * ```ts
 * import { actionText } from "./irc.ts";
 * actionText("\x01ACTION waves\x01"); // "waves"
 * actionText("hello"); // undefined
 * ```
 */
export function actionText(text: string): string | undefined {
  // deno-lint-ignore no-control-regex -- CTCP is delimited by \x01
  const m = /^\x01ACTION(?: (.*?))?\x01?$/.exec(text);
  return m ? (m[1] ?? "") : undefined;
}

/**
 * Base64 of a UTF-8 string, for SASL PLAIN.
 *
 * @example
 * ```ts
 * import { base64 } from "./irc.ts";
 * base64("a\0a\0pw"); // "YQBhAHB3"
 * ```
 */
export function base64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
