/**
 * Password hashing with scrypt (node:crypto), a random salt per account, and a
 * constant-time comparison. The hash string carries its parameters so they can be raised
 * later without breaking stored accounts.
 *
 * @module
 */

import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/**
 * Compares a secret given by a client with the configured one in constant time (a length
 * mismatch compares the wanted secret with itself, to take the same time).
 *
 * @example
 * ```ts
 * import { sameSecret } from "./password.ts";
 * sameSecret("s3cret", "s3cret"); // true
 * ```
 */
export function sameSecret(given: string, wanted: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(wanted);
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

const KEY_LEN = 32;
const N = 16384;
const R = 8;
const P = 1;

function derive(password: string, salt: Uint8Array, n: number, r: number, p: number) {
  return new Promise<Uint8Array>((resolve, reject) => {
    // the async form runs on the thread pool, so logins never block the event loop
    scrypt(password, salt, KEY_LEN, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key));
    });
  });
}

/**
 * Hashes a password: `scrypt$N$r$p$salt$hash` with base64 salt and hash.
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "./password.ts";
 * const hash = await hashPassword("correct horse");
 * await verifyPassword("correct horse", hash); // true
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = new Uint8Array(randomBytes(16));
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${btoa(String.fromCharCode(...salt))}$${
    btoa(String.fromCharCode(...key))
  }`;
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/**
 * Checks a password against a stored hash in constant time. A malformed hash never matches.
 *
 * @example
 * ```ts
 * import { verifyPassword } from "./password.ts";
 * await verifyPassword("x", "not a hash"); // false
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  let salt: Uint8Array, expected: Uint8Array;
  try {
    salt = fromBase64(parts[4]);
    expected = fromBase64(parts[5]);
  } catch {
    return false;
  }
  const key = await derive(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A random password for generated accounts (the first admin): 16 letters and digits.
 *
 * @example
 * ```ts
 * import { randomPassword } from "./password.ts";
 * randomPassword().length; // 16
 * ```
 */
export function randomPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
