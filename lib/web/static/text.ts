// deno-lint-ignore-file no-control-regex -- IRC formatting codes are control characters
/**
 * Text helpers for the browser app that need no DOM: removing IRC formatting codes, finding
 * links, nick colours and mention detection. Rendering turns the results into text nodes and
 * anchors, never into HTML.
 *
 * @module
 */

/** A run of message text: plain, or a link that is safe to open. */
export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

/**
 * Removes mIRC formatting (bold, colours, italics, reverse, reset...) and other control
 * characters, which would otherwise show as boxes.
 *
 * @example
 * ```ts
 * import { stripFormatting } from "./text.ts";
 * stripFormatting("\x02bold\x02 \x0304,01red\x03"); // "bold red"
 * ```
 */
export function stripFormatting(text: string): string {
  return text
    .replace(/\x03(\d{1,2}(,\d{1,2})?)?/g, "")
    .replace(/\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?/g, "")
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/**
 * Splits text into plain runs and links. Only `http:` and `https:` become links (a
 * `javascript:` or `data:` URL stays text); trailing punctuation is left out of the link.
 *
 * @example
 * ```ts
 * import { linkify } from "./text.ts";
 * linkify("see https://example.org/a.").map((s) => s.kind); // ["text", "link", "text"]
 * linkify("javascript:alert(1)").length; // 1
 * ```
 */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    // "(see https://x.org/a)." — closing punctuation belongs to the sentence
    while (/[.,;:!?)\]}]$/.test(raw)) {
      if (raw.endsWith(")") && (raw.match(/\(/g)?.length ?? 0) >= (raw.match(/\)/g)?.length ?? 0)) {
        break;
      }
      raw = raw.slice(0, -1);
    }
    const start = m.index!;
    let href: string | undefined;
    try {
      const url = new URL(raw);
      if (url.protocol === "http:" || url.protocol === "https:") href = url.href;
    } catch {
      href = undefined;
    }
    if (!href) continue;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** How many nick colours the stylesheet defines (classes `nc0` ... `nc11`). */
export const NICK_COLOURS = 12;

/**
 * A stable colour index for a nick (same nick, same colour, in every browser).
 *
 * @example
 * ```ts
 * import { nickColour } from "./text.ts";
 * nickColour("alice") === nickColour("alice"); // true
 * ```
 */
export function nickColour(nick: string): number {
  let h = 0;
  for (const ch of nick.toLowerCase()) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return h % NICK_COLOURS;
}

/**
 * Whether `text` mentions `nick` as a word (case-insensitive).
 *
 * @example
 * ```ts
 * import { mentions } from "./text.ts";
 * mentions("hi Bob!", "bob"); // true
 * mentions("bobby", "bob"); // false
 * ```
 */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const esc = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w\\[\\]\\\\\`^{}|-])${esc}($|[^\\w\\[\\]\\\\\`^{}|-])`, "i").test(text);
}

/**
 * Completes a nick for Tab: the candidates that start with `prefix`, sorted, so pressing Tab
 * again can cycle through them.
 *
 * @example
 * ```ts
 * import { completions } from "./text.ts";
 * completions("al", ["bob", "Alice", "alan"]); // ["alan", "Alice"]
 * ```
 */
export function completions(prefix: string, nicks: Iterable<string>): string[] {
  const p = prefix.toLowerCase();
  return [...nicks].filter((n) => n.toLowerCase().startsWith(p)).sort((a, b) =>
    a.toLowerCase().localeCompare(b.toLowerCase())
  );
}
