/**
 * SHA-256 certificate fingerprints as people read and type them (`AB:CD:…`). No
 * dependencies, so the client can use it without loading the certificate generator.
 *
 * @module
 */

/**
 * Formats a SHA-256 digest as `AB:CD:…` (the form OpenSSL and Node print).
 *
 * @example
 * ```ts
 * import { formatFingerprint } from "./fingerprint.ts";
 * formatFingerprint(new Uint8Array([0xab, 0x01])); // "AB:01"
 * ```
 */
export function formatFingerprint(digest: Uint8Array): string {
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/**
 * Reads a SHA-256 fingerprint as a user may type it: hex with or without colons (or
 * spaces), any case, optionally prefixed `sha256:`/`SHA256=`; returns the canonical
 * `AB:CD:…` form, or undefined when it is not 32 bytes of hex.
 *
 * @example
 * ```ts
 * import { normalizeFingerprint } from "./fingerprint.ts";
 * normalizeFingerprint("ab".repeat(32))?.slice(0, 5); // "AB:AB"
 * normalizeFingerprint("nope"); // undefined
 * ```
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().replace(/^sha-?256[:=]\s*/i, "").replace(/[:\s]/g, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join(":");
}

/**
 * The SHA-256 fingerprint of DER certificate bytes.
 *
 * @example
 * ```ts
 * import { fingerprintOfDer } from "./fingerprint.ts";
 * (await fingerprintOfDer(new Uint8Array([1, 2, 3]))).length; // 95
 * ```
 */
export async function fingerprintOfDer(der: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>);
  return formatFingerprint(new Uint8Array(digest));
}
