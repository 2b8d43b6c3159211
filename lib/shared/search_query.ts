/**
 * The `soju.im/search` SEARCH command's attributes: a message-tag style list
 * (`text=fast;in=#chan;limit=2`) with tag-value escaping, so a word with a space or `;`
 * survives. Pure and browser-safe.
 *
 * @module
 */

import { escapeTagValue } from "../protocol/message.ts";

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
  const parts = [`text=${escapeTagValue(q.text)}`];
  if (q.in !== undefined) parts.push(`in=${escapeTagValue(q.in)}`);
  if (q.from !== undefined) parts.push(`from=${escapeTagValue(q.from)}`);
  if (q.limit !== undefined) parts.push(`limit=${Math.max(1, Math.floor(q.limit))}`);
  return parts.join(";");
}
