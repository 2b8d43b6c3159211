/**
 * The `soju.im/search` SEARCH command's attributes: a message-tag style list
 * (`text=fast;in=#chan;limit=2`) with tag-value escaping, so a word with a space or `;`
 * survives. Pure and browser-safe.
 *
 * @module
 */

/**
 * What to search for.
 *
 * @example
 * ```ts
 * import type { SearchQuery } from "./search_query.ts";
 * const q: SearchQuery = { text: "release", in: "#dev", limit: 50 };
 * ```
 */
export interface SearchQuery {
  /** Words to match (the server decides how). */
  text: string;
  /** Only messages sent to this channel or nick. */
  in?: string;
  /** Only messages from this nick. */
  from?: string;
  /** At most this many results. */
  limit?: number;
}

/** Tag-value escaping (IRCv3 message-tags), which SEARCH attributes use. */
function escapeValue(v: string): string {
  return v.replace(
    /[\\; \r\n]/g,
    (c) => c === "\\" ? "\\\\" : c === ";" ? "\\:" : c === " " ? "\\s" : c === "\r" ? "\\r" : "\\n",
  );
}

/**
 * The single SEARCH parameter for a query.
 *
 * @example
 * ```ts
 * import { searchAttributes } from "./search_query.ts";
 * import assert from "node:assert/strict";
 * assert.equal(searchAttributes({ text: "fast car", in: "#chan", limit: 2 }),
 *   "text=fast\\scar;in=#chan;limit=2");
 * ```
 */
export function searchAttributes(q: SearchQuery): string {
  const parts = [`text=${escapeValue(q.text)}`];
  if (q.in !== undefined) parts.push(`in=${escapeValue(q.in)}`);
  if (q.from !== undefined) parts.push(`from=${escapeValue(q.from)}`);
  if (q.limit !== undefined) parts.push(`limit=${Math.max(1, Math.floor(q.limit))}`);
  return parts.join(";");
}
