/**
 * SASL PLAIN (RFC 4616) as carried by IRC's AUTHENTICATE, the server's side: decoding what a
 * client sent (the client side, encoding, is lib/shared/sasl_plain.ts).
 *
 * @module
 */

/** The mechanisms the server offers (CAP value of `sasl`, RPL_SASLMECHS). */
export const SASL_MECHANISMS = ["PLAIN"];

/** Longest SASL payload we accept, decoded (RFC 4616 allows 255 per field). */
export const SASL_MAX_BYTES = 1024;

/** Credentials from a PLAIN message. */
export interface PlainCredentials {
  authzid: string;
  authcid: string;
  password: string;
}

/**
 * Decodes a base64 PLAIN message `authzid NUL authcid NUL password`; undefined if malformed.
 *
 * @example
 * ```ts
 * import { decodePlain } from "./sasl.ts";
 * decodePlain(btoa("\0alice\0secret")); // { authzid: "", authcid: "alice", password: "secret" }
 * ```
 */
export function decodePlain(base64: string): PlainCredentials | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const parts = text.split("\0");
  if (parts.length !== 3 || parts[1] === "" || parts[2] === "") return undefined;
  return { authzid: parts[0], authcid: parts[1], password: parts[2] };
}
