/**
 * The client side of the IRCv3 extensions that make a modern chat, as pure functions both
 * clients can use: draft/multiline (splitting a text into a batch and its limits),
 * soju.im/search (the attribute string), +draft/react (the picker's emoji), MONITOR (the
 * numerics' lists), soju.im/filehost (the upload request's headers) and
 * draft/message-redaction (who may delete what).
 *
 * @module
 */

import { escapeTagValue } from "../protocol/message.ts";

/** The limits of a server's `draft/multiline` capability value. */
export interface MultilineLimits {
  /** Most bytes of message text in one batch. */
  maxBytes: number;
  /** Most lines in one batch (Infinity when the server names none). */
  maxLines: number;
}

/**
 * Reads the `draft/multiline` capability value (`max-bytes=4096,max-lines=24`); undefined
 * without `max-bytes`, which the specification requires.
 *
 * @example
 * ```ts
 * import { parseMultilineCap } from "./modern_chat.ts";
 * parseMultilineCap("max-bytes=4096,max-lines=24"); // { maxBytes: 4096, maxLines: 24 }
 * parseMultilineCap("max-lines=3"); // undefined
 * ```
 */
export function parseMultilineCap(value: string): MultilineLimits | undefined {
  let maxBytes = NaN;
  let maxLines = Infinity;
  for (const item of value.split(",")) {
    const [k, v = ""] = item.split("=", 2);
    const n = Number(v);
    if (k === "max-bytes" && Number.isInteger(n) && n > 0) maxBytes = n;
    if (k === "max-lines" && Number.isInteger(n) && n > 0) maxLines = n;
  }
  return Number.isNaN(maxBytes) ? undefined : { maxBytes, maxLines };
}

/** One message of a multiline batch: its text and whether it continues the previous line. */
export interface MultilinePart {
  text: string;
  /** Sent with `draft/multiline-concat`: joined to the previous part without a line break. */
  concat: boolean;
}

const utf8 = new TextEncoder();

/**
 * Cuts a text into the messages of one multiline batch: one per line, a line longer than
 * `lineBytes` continued in `concat` parts (cut after a space when there is one, so no
 * character is lost and the receiver's concatenation gives the text back exactly).
 *
 * @example
 * ```ts
 * import { multilineParts } from "./modern_chat.ts";
 * multilineParts("one\ntwo three", 6); // [{ text: "one", concat: false }, { text: "two ", concat: false }, { text: "three", concat: true }]
 * ```
 */
export function multilineParts(text: string, lineBytes: number): MultilinePart[] {
  const out: MultilinePart[] = [];
  for (const line of text.split(/\r?\n/)) {
    let rest = line;
    let first = true;
    while (true) {
      if (utf8.encode(rest).length <= lineBytes) {
        out.push({ text: rest, concat: !first });
        break;
      }
      let cut = 0;
      let bytes = 0;
      let lastSpace = -1;
      for (const ch of rest) {
        const b = utf8.encode(ch).length;
        if (bytes + b > lineBytes) break;
        bytes += b;
        cut += ch.length;
        if (ch === " ") lastSpace = cut;
      }
      if (lastSpace > 0) cut = lastSpace;
      if (cut === 0) cut = rest.length; // a byte budget below one character: give up cutting
      out.push({ text: rest.slice(0, cut), concat: !first });
      rest = rest.slice(cut);
      first = false;
      if (rest === "") break;
    }
  }
  return out;
}

/**
 * Whether parts fit the server's limits: at most `maxLines` messages and `maxBytes` bytes
 * of text, counting a line break between lines that are not concatenated.
 *
 * @example
 * ```ts
 * import { fitsMultiline } from "./modern_chat.ts";
 * const parts = [{ text: "ab", concat: false }, { text: "cd", concat: false }];
 * fitsMultiline(parts, { maxBytes: 5, maxLines: 2 }); // true
 * fitsMultiline(parts, { maxBytes: 4, maxLines: 2 }); // false
 * ```
 */
export function fitsMultiline(parts: MultilinePart[], limits: MultilineLimits): boolean {
  if (parts.length > limits.maxLines) return false;
  let bytes = 0;
  parts.forEach((p, i) => {
    bytes += utf8.encode(p.text).length + (i > 0 && !p.concat ? 1 : 0);
  });
  return bytes <= limits.maxBytes;
}

/**
 * Joins the messages of a received multiline batch into one text.
 *
 * @example
 * ```ts
 * import { joinMultiline } from "./modern_chat.ts";
 * joinMultiline([{ text: "a ", concat: false }, { text: "b", concat: true }, { text: "c", concat: false }]); // "a b\nc"
 * ```
 */
export function joinMultiline(parts: MultilinePart[]): string {
  return parts.map((p, i) => (i === 0 ? p.text : p.concat ? p.text : "\n" + p.text)).join("");
}

/** What a SEARCH asks for (soju.im/search). */
export interface SearchQuery {
  /** Words to find. */
  text: string;
  /** A channel or nick; undefined searches every conversation. */
  in?: string;
  /** Most results. */
  limit?: number;
}

/**
 * The soju.im/search attribute string: `key=value` pairs separated by `;`, values escaped as
 * message-tag values (so spaces and semicolons survive).
 *
 * @example
 * ```ts
 * import { searchAttributes } from "./modern_chat.ts";
 * searchAttributes({ text: "hello world", in: "#a", limit: 50 }); // "in=#a;limit=50;text=hello\\sworld"
 * ```
 */
export function searchAttributes(q: SearchQuery): string {
  const parts: string[] = [];
  if (q.in !== undefined) parts.push(`in=${escapeTagValue(q.in)}`);
  if (q.limit !== undefined) parts.push(`limit=${q.limit}`);
  parts.push(`text=${escapeTagValue(q.text)}`);
  return parts.join(";");
}

/**
 * The reactions offered in the picker (any emoji received is shown, these are the quick
 * ones).
 *
 * @example
 * ```ts
 * import { QUICK_REACTIONS } from "./modern_chat.ts";
 * QUICK_REACTIONS.includes("👍"); // true
 * ```
 */
export const QUICK_REACTIONS: readonly string[] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

/**
 * The nicks of a MONITOR reply (730 online: `nick!user@host,…`; 731 offline: `nick,…`).
 *
 * @example
 * ```ts
 * import { monitorNicks } from "./modern_chat.ts";
 * monitorNicks("ann!a@h,bob"); // ["ann", "bob"]
 * ```
 */
export function monitorNicks(list: string): string[] {
  return list.split(",").map((t) => t.split("!")[0].trim()).filter((n) => n !== "");
}

/**
 * The soju.im/filehost upload URLs from the ISUPPORT token's value: http(s) URLs only,
 * resolved against the page (a relative one is the page's own server).
 *
 * @example
 * ```ts
 * import { filehostUrl } from "./modern_chat.ts";
 * filehostUrl("/upload", "https://chat.example.org/"); // "https://chat.example.org/upload"
 * filehostUrl("javascript:alert(1)", "https://chat.example.org/"); // undefined
 * ```
 */
export function filehostUrl(value: string, base: string): string | undefined {
  for (const item of value.split(" ")) {
    if (item === "") continue;
    try {
      const url = new URL(item, base);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      // not a URL: the specification says to ignore it
    }
  }
  return undefined;
}

/**
 * The headers of an upload: the file's type, its name (RFC 6266/5987, so any name is safe),
 * and Basic authentication for a logged-in user.
 *
 * @example
 * ```ts
 * import { uploadHeaders } from "./modern_chat.ts";
 * uploadHeaders("é.png", "image/png", { account: "ann", password: "pw" });
 * // { "Content-Type": "image/png", "Content-Disposition": "attachment; filename*=UTF-8''%C3%A9.png", Authorization: "Basic YW5uOnB3" }
 * ```
 */
export function uploadHeaders(
  name: string,
  type: string,
  credential?: { account: string; password: string },
): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": type === "" ? "application/octet-stream" : type,
    "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
  };
  if (credential) {
    const raw = utf8.encode(`${credential.account}:${credential.password}`);
    headers.Authorization = `Basic ${btoa(String.fromCharCode(...raw))}`;
  }
  return headers;
}

/**
 * Whether a link is an image from the server's own upload place, which the page may show
 * inline (the page's Content-Security-Policy allows images from its own origin only).
 *
 * @example
 * ```ts
 * import { isInlineImage } from "./modern_chat.ts";
 * isInlineImage("https://c.org/uploads/a.png", "https://c.org/upload", "https://c.org"); // true
 * isInlineImage("https://c.org/upload/7f3a", "https://c.org/upload", "https://c.org"); // true
 * isInlineImage("https://evil.org/a.png", "https://c.org/upload", "https://c.org"); // false
 * ```
 */
export function isInlineImage(href: string, uploadUrl: string, pageOrigin: string): boolean {
  try {
    const u = new URL(href);
    const up = new URL(uploadUrl);
    if (u.origin !== pageOrigin || u.origin !== up.origin) return false;
    // an image by its name, or anything the file host serves below its own path (names
    // there may carry no extension; what does not load as an image is not shown)
    return /\.(png|jpe?g|gif|webp|avif)$/i.test(u.pathname) ||
      u.pathname.startsWith(up.pathname.replace(/\/?$/, "/"));
  } catch {
    return false;
  }
}

/** Status prefixes of channel operators and above, who may delete anyone's message there. */
const OP_SYMBOLS = "~&@%";

/**
 * Whether we may delete a message: our own, or anyone's in a channel where we are an
 * operator (the server has the last word).
 *
 * @example
 * ```ts
 * import { mayRedact } from "./modern_chat.ts";
 * mayRedact(true, ""); // true
 * mayRedact(false, "@"); // true
 * mayRedact(false, "+"); // false
 * ```
 */
export function mayRedact(own: boolean, myPrefix: string): boolean {
  return own || [...myPrefix].some((s) => OP_SYMBOLS.includes(s));
}

/**
 * The capabilities of these extensions a client asks for when the server offers them (on
 * top of its usual list): read markers, redaction, multiline messages and search.
 *
 * @example
 * ```ts
 * import { MODERN_CAPS } from "./modern_chat.ts";
 * MODERN_CAPS.includes("draft/read-marker"); // true
 * ```
 */
export const MODERN_CAPS: readonly string[] = [
  "draft/read-marker",
  "draft/message-redaction",
  "draft/multiline",
  "soju.im/search",
];
