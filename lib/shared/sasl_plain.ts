/**
 * The client side of SASL PLAIN (RFC 4616) over IRC's AUTHENTICATE: base64 cut into
 * 400-byte chunks, `+` after a final full chunk. The server side (decoding) is in
 * lib/auth/sasl.ts.
 *
 * @module
 */

/**
 * Encodes PLAIN credentials as AUTHENTICATE payloads (400-byte chunks, `+` to end on a full
 * chunk).
 *
 * @example
 * ```ts
 * import { encodePlain } from "./sasl_plain.ts";
 * encodePlain("alice", "secret"); // ["AGFsaWNlAHNlY3JldA=="]
 * encodePlain("a", "x".repeat(297)).length; // 2
 * ```
 */
export function encodePlain(account: string, password: string): string[] {
  const bytes = new TextEncoder().encode(`\0${account}\0${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin);
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += 400) chunks.push(b64.slice(i, i + 400));
  if (b64.length % 400 === 0) chunks.push("+");
  return chunks;
}
