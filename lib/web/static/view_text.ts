/**
 * Text helpers only the browser's view needs, without a DOM: finding links, nick colours,
 * Tab completion. (Formatting, mentions and splitting are shared: lib/shared/.) Rendering turns the results into text nodes and
 * anchors, never into HTML.
 *
 * @module
 */

/** A run of message text: plain, or a link that is safe to open. */
export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;

/**
 * Splits text into plain runs and links. Only `http:` and `https:` become links (a
 * `javascript:` or `data:` URL stays text), and `www.` addresses (as https); trailing
 * punctuation is left out of the link.
 *
 * @example
 * ```ts
 * import { linkify } from "./view_text.ts";
 * linkify("see https://example.org/a.").map((s) => s.kind); // ["text", "link", "text"]
 * linkify("javascript:alert(1)").length; // 1
 * linkify("www.example.org")[0]; // { kind: "link", text: "www.example.org", href: "https://www.example.org/" }
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
      // "www.example.org" is a web address without its scheme
      const url = new URL(/^www\./i.test(raw) ? "https://" + raw : raw);
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
 * import { nickColour } from "./view_text.ts";
 * nickColour("alice") === nickColour("alice"); // true
 * ```
 */
export function nickColour(nick: string): number {
  let h = 0;
  for (const ch of nick.toLowerCase()) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return h % NICK_COLOURS;
}

/**
 * Completes a nick for Tab: the candidates that start with `prefix`, sorted, so pressing Tab
 * again can cycle through them.
 *
 * @example
 * ```ts
 * import { completions } from "./view_text.ts";
 * completions("al", ["bob", "Alice", "alan"]); // ["alan", "Alice"]
 * ```
 */
export function completions(prefix: string, nicks: Iterable<string>): string[] {
  const p = prefix.toLowerCase();
  return [...nicks].filter((n) => n.toLowerCase().startsWith(p)).sort((a, b) =>
    a.toLowerCase().localeCompare(b.toLowerCase())
  );
}
