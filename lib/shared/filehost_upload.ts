/**
 * The `soju.im/filehost` convention as a client needs it: which upload address the server
 * names in ISUPPORT (and whether it may be used), the HTTP Basic credentials and the
 * headers of the POST, and the address of the uploaded file from the `Location` answer.
 * Pure and browser-safe; the request itself is the caller's (fetch).
 *
 * @module
 */

/**
 * The ISUPPORT tokens that name an upload address, most specific first.
 *
 * @example
 * ```ts
 * import { FILEHOST_TOKENS } from "./filehost_upload.ts";
 * FILEHOST_TOKENS[0]; // "soju.im/FILEHOST"
 * ```
 */
export const FILEHOST_TOKENS = ["soju.im/FILEHOST", "draft/FILEHOST"];

/**
 * The upload address from ISUPPORT tokens, or a sentence saying why there is none usable:
 * none offered, not http(s), or plain http while the chat connection is encrypted (which
 * the specification forbids: the password would travel in the clear).
 *
 * @example
 * ```ts
 * import { uploadUrl } from "./filehost_upload.ts";
 * import assert from "node:assert/strict";
 * const tokens = new Map([["soju.im/FILEHOST", "http://10.0.0.2:8080/upload"]]);
 * assert.equal(uploadUrl(tokens, false), "http://10.0.0.2:8080/upload");
 * assert.match((uploadUrl(tokens, true) as { error: string }).error, /unencrypted/);
 * ```
 */
export function uploadUrl(
  isupport: ReadonlyMap<string, string>,
  encrypted: boolean,
): string | { error: string } {
  const raw = FILEHOST_TOKENS.map((t) => isupport.get(t)).find((v) => v !== undefined && v !== "");
  if (raw === undefined) return { error: "This server does not offer file uploads." };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `The server's upload address (${raw}) is not a valid URL.` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { error: `The server's upload address (${raw}) is not http or https.` };
  }
  if (encrypted && url.protocol === "http:") {
    return {
      error:
        `The server's upload address (${raw}) is unencrypted while the chat is encrypted; not uploading.`,
    };
  }
  return url.href;
}

/**
 * The `Authorization` header value for HTTP Basic with an account's credentials (UTF-8).
 *
 * @example
 * ```ts
 * import { basicAuth } from "./filehost_upload.ts";
 * import assert from "node:assert/strict";
 * assert.equal(basicAuth("seunghye", "no"), "Basic c2V1bmdoeWU6bm8=");
 * ```
 */
export function basicAuth(account: string, password: string): string {
  const bin = Array.from(
    new TextEncoder().encode(`${account}:${password}`),
    (b) => String.fromCharCode(b),
  ).join("");
  return `Basic ${btoa(bin)}`;
}

/**
 * The `Content-Disposition` of an upload: the file name, ASCII-safe with an RFC 5987 UTF-8
 * form for other names.
 *
 * @example
 * ```ts
 * import { contentDisposition } from "./filehost_upload.ts";
 * import assert from "node:assert/strict";
 * assert.equal(contentDisposition("cat.png"), 'attachment; filename="cat.png"');
 * assert.equal(contentDisposition("zoë.txt"),
 *   "attachment; filename=\"zo_.txt\"; filename*=UTF-8''zo%C3%AB.txt");
 * ```
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const base = `attachment; filename="${ascii}"`;
  return ascii === name ? base : `${base}; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  md: "text/plain; charset=utf-8",
  pdf: "application/pdf",
  zip: "application/zip",
  mp4: "video/mp4",
  mp3: "audio/mpeg",
};

/**
 * A MIME type guessed from a file name's extension (application/octet-stream otherwise).
 *
 * @example
 * ```ts
 * import { guessContentType } from "./filehost_upload.ts";
 * guessContentType("shot.PNG"); // "image/png"
 * ```
 */
export function guessContentType(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot === -1 ? undefined : TYPES[name.slice(dot + 1).toLowerCase()]) ??
    "application/octet-stream";
}

/**
 * The address of the uploaded file: the `Location` answer, resolved against the upload
 * address when relative; undefined when missing or not http(s).
 *
 * @example
 * ```ts
 * import { uploadedLocation } from "./filehost_upload.ts";
 * import assert from "node:assert/strict";
 * assert.equal(uploadedLocation("/upload/ab12.png", "http://h:8080/upload"),
 *   "http://h:8080/upload/ab12.png");
 * ```
 */
export function uploadedLocation(location: string | null, base: string): string | undefined {
  if (!location) return undefined;
  try {
    const u = new URL(location, base);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}
