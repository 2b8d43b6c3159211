/**
 * File uploads on the web port, as soju's `soju.im/FILEHOST` convention has them (soju's
 * doc/ext/filehost.md): the server advertises an upload URL in ISUPPORT; a client POSTs the
 * file there with the account's credentials (HTTP Basic, as for SASL PLAIN), naming it in
 * `Content-Disposition` and its size in `Content-Length`, and gets `201 Created` with the
 * file's URL in `Location`. OPTIONS on the upload URL says what is accepted.
 *
 * Only logged-in accounts upload (the password goes through the login gate, so its
 * throttles apply as on IRC). The size is known before a byte is read, so a file over
 * `uploadMaxBytes` or over the account's `uploadQuotaBytes` is refused at once. The body is
 * streamed to a temporary file in the uploads folder and renamed into place only when
 * complete: an aborted or refused upload leaves nothing behind.
 *
 * Files are served so that none can act as a page of this site: the type is sniffed from
 * the bytes against an allow-list (PNG, JPEG, GIF, WebP, PDF, UTF-8 text) and anything else
 * is `application/octet-stream`; only images are shown inline, everything else is an
 * attachment; `nosniff` and a `sandbox` CSP on every answer. HTML and SVG are never served
 * as such.
 *
 * @module
 */

import { join } from "node:path";
import { refusalText } from "../auth/login_gate.ts";
import { casefold } from "../protocol/casemap.ts";
import type { AccountRecord, ChatStore, UploadRecord } from "../store/store.ts";
import type { Limits } from "../server/limits.ts";
import { type ByteReader, readBody, type RequestHead } from "../transport/http1.ts";

/** Where clients POST files. */
export const UPLOAD_PATH = "/upload";
/** Where uploaded files are served: `/uploads/<id>/<name>`. */
export const FILES_PATH = "/uploads/";

/** What the upload route needs from the chat server. */
export interface UploadHost {
  readonly store: ChatStore;
  readonly limits: Limits;
  /** The uploads folder (DATA/uploads); made on first use, private to the server. */
  readonly dir: string;
  /** Checks an account's password through the login gate (lib/server/accounts.ts). */
  authenticate(
    name: string,
    password: string,
    ip: string,
  ): Promise<
    { ok: true; account: AccountRecord } | {
      ok: false;
      reason: "invalid" | "throttled" | "busy";
      retryAfter?: number;
    }
  >;
}

/** An answer to an upload request, and whether the connection may serve another request. */
export interface UploadAnswer {
  response: Response;
  /** Bytes read past the body (a pipelined request), when the body was read to its end. */
  rest: Uint8Array;
  /** False when the body was not read (refused before it), so the connection must close. */
  keepAlive: boolean;
}

/** The bytes of the start of a file that sniffing looks at. */
const SNIFF_BYTES = 4096;
const ID = /^[A-Za-z0-9_-]{22}$/;

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

function startsWith(bytes: Uint8Array, prefix: number[] | string, at = 0): boolean {
  const p = typeof prefix === "string" ? [...prefix].map((c) => c.charCodeAt(0)) : prefix;
  if (bytes.length < at + p.length) return false;
  return p.every((b, i) => bytes[at + i] === b);
}

/**
 * The type a file is served with, from its first bytes: one of an allow-list, else
 * `application/octet-stream`. Text is UTF-8 without control characters (HTML and SVG are
 * text too, and so are served as plain text, never as markup).
 *
 * @example
 * ```ts
 * import { sniffType } from "./uploads.ts";
 * sniffType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])); // "image/png"
 * sniffType(new TextEncoder().encode("<svg onload=alert(1)>")); // "text/plain; charset=utf-8"
 * sniffType(new Uint8Array([0, 1, 2])); // "application/octet-stream"
 * ```
 */
export function sniffType(head: Uint8Array): string {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(head, "GIF87a") || startsWith(head, "GIF89a")) return "image/gif";
  if (startsWith(head, "RIFF") && startsWith(head, "WEBP", 8)) return "image/webp";
  if (startsWith(head, "%PDF-")) return "application/pdf";
  if (head.length > 0 && isText(head)) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

function isText(head: Uint8Array): boolean {
  for (const b of head) {
    // control characters other than tab, line feed, form feed and carriage return
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 12 && b !== 13) || b === 0x7f) return false;
  }
  // the sample may end inside a character: up to three bytes of one may be cut off
  for (let cut = 0; cut <= Math.min(3, head.length - 1); cut++) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try with the last bytes left off
    }
  }
  return false;
}

/** Whether a served type is an image shown inline (everything else is an attachment). */
function isImage(type: string): boolean {
  return type === "image/png" || type === "image/jpeg" || type === "image/gif" ||
    type === "image/webp";
}

/**
 * The file name a client gave in `Content-Disposition`, made safe to store and to send
 * back: no folders, no control characters or quotes, at most 200 characters.
 *
 * @example
 * ```ts
 * import { uploadName } from "./uploads.ts";
 * uploadName('attachment; filename="../../etc/cat.png"'); // "cat.png"
 * uploadName("attachment; filename*=UTF-8''Zo%C3%AB.txt"); // "Zoë.txt"
 * uploadName(null); // "file"
 * ```
 */
export function uploadName(disposition: string | null): string {
  let name = "";
  if (disposition) {
    const star = disposition.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/);
    const plain = disposition.match(/filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/);
    if (star) {
      try {
        name = decodeURIComponent(star[1].trim());
      } catch {
        name = "";
      }
    }
    if (!name && plain) name = (plain[1] ?? plain[2] ?? "").replace(/\\(.)/g, "$1");
  }
  // deno-lint-ignore no-control-regex
  name = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f"]/g, "").trim();
  if (name === "" || name === "." || name === "..") return "file";
  return [...name].slice(0, 200).join("");
}

/** The `Content-Disposition` of a served file, its name percent-encoded (RFC 8187). */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The credentials of an `Authorization: Basic` header, or undefined. */
function basicAuth(header: string | null): { name: string; password: string } | undefined {
  const m = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Bytes as people read them. */
function size(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * Several sizes of one sentence, each as {@link size} words it, unless two different ones
 * would then read the same ("the file is 97.7 KiB; … up to 97.7 KiB"): then all in bytes.
 */
function sizes(...ns: number[]): string[] {
  const shown = ns.map(size);
  const clash = ns.some((n, i) => ns.some((m, j) => m !== n && shown[i] === shown[j]));
  return clash ? ns.map((n) => `${n} bytes`) : shown;
}

const UNAUTHORIZED_HEADERS = {
  "www-authenticate": 'Basic realm="deno-chat uploads", charset="UTF-8"',
};

/**
 * The upload route and the files it serves.
 *
 * @example
 * ```ts ignore
 * const uploads = new Uploads({ store, limits, dir: "chat-data/uploads", authenticate });
 * const answer = await uploads.receive(head, conn, pending, ip, "http://10.0.0.5:8080");
 * ```
 */
export class Uploads {
  readonly #host: UploadHost;
  /** Bytes of uploads under way per account, so two at once cannot both fit one quota. */
  readonly #reserved = new Map<string, number>();

  constructor(host: UploadHost) {
    this.#host = host;
  }

  /** Whether uploads are on (`uploadMaxBytes` above 0). */
  get enabled(): boolean {
    return this.#host.limits.uploadMaxBytes > 0;
  }

  /**
   * Answers OPTIONS or POST on {@link UPLOAD_PATH}, reading the body of a POST that may be
   * stored. `origin` (`http://host:port`) makes the file's absolute URL. `alive` is called
   * as the body arrives, so the caller's idle timer measures silence, not the whole upload.
   */
  async receive(
    head: RequestHead,
    conn: ByteReader,
    pending: Uint8Array,
    ip: string,
    origin: string,
    alive: () => void = () => {},
  ): Promise<UploadAnswer> {
    const refuse = (response: Response): UploadAnswer => ({
      response,
      rest: new Uint8Array(),
      keepAlive: false,
    });
    const limits = this.#host.limits;
    if (head.method === "OPTIONS") {
      return {
        response: new Response(null, {
          status: 204,
          headers: { allow: "OPTIONS, POST", "accept-post": "*/*" },
        }),
        rest: pending,
        keepAlive: !head.headers.has("content-length") && !head.headers.has("transfer-encoding"),
      };
    }
    if (head.method !== "POST") {
      return refuse(text(405, "upload with POST\n", { allow: "OPTIONS, POST" }));
    }
    const lengthHeader = head.headers.get("content-length");
    if (head.headers.has("transfer-encoding") || lengthHeader === null) {
      return refuse(text(411, "send the file with a Content-Length\n"));
    }
    if (!/^\d{1,15}$/.test(lengthHeader)) return refuse(text(400, "bad Content-Length\n"));
    const length = Number(lengthHeader);
    // who, before a byte of the body is read
    const creds = basicAuth(head.headers.get("authorization"));
    if (!creds) {
      return refuse(text(
        401,
        "uploads are for registered accounts: log in with your account name and password " +
          "(HTTP Basic); guests cannot upload\n",
        UNAUTHORIZED_HEADERS,
      ));
    }
    const auth = await this.#host.authenticate(creds.name, creds.password, ip);
    if (!auth.ok) {
      if (auth.reason === "throttled") {
        return refuse(text(429, `${refusalText({ ...auth, retryAfter: auth.retryAfter ?? 1 })}\n`, {
          "retry-after": String(auth.retryAfter ?? 1),
        }));
      }
      if (auth.reason === "busy") {
        return refuse(text(503, `${refusalText({ ok: false, reason: "busy" })}\n`));
      }
      return refuse(
        text(401, `${refusalText({ ok: false, reason: "invalid" })}\n`, UNAUTHORIZED_HEADERS),
      );
    }
    const account = casefold(auth.account.name);
    if (length === 0) return refuse(text(400, "the file is empty\n"));
    if (length > limits.uploadMaxBytes) {
      const [file, max] = sizes(length, limits.uploadMaxBytes);
      return refuse(text(413, `the file is ${file}; this server takes files of up to ${max}\n`));
    }
    // reserved before the store is asked, so two uploads at once cannot both fit one quota
    const others = this.#reserved.get(account) ?? 0;
    this.#reserved.set(account, others + length);
    try {
      const used = (await this.#host.store.uploadBytes(account)) + others;
      if (used + length > limits.uploadQuotaBytes) {
        const [kept, quota, file] = sizes(used, limits.uploadQuotaBytes, length);
        return refuse(text(
          413,
          `over your upload quota: you keep ${kept} of ${quota}, and this file is ${file}\n`,
        ));
      }
      return await this.#write(head, conn, pending, length, account, origin, alive);
    } finally {
      const left = (this.#reserved.get(account) ?? length) - length;
      if (left <= 0) this.#reserved.delete(account);
      else this.#reserved.set(account, left);
    }
  }

  async #write(
    head: RequestHead,
    conn: ByteReader,
    pending: Uint8Array,
    length: number,
    account: string,
    origin: string,
    alive: () => void,
  ): Promise<UploadAnswer> {
    const dir = this.#host.dir;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const id = newId();
    const partial = join(dir, `.partial-${id}`);
    const file = await Deno.open(partial, { write: true, createNew: true, mode: 0o600 });
    const sample = new Uint8Array(Math.min(SNIFF_BYTES, length));
    let sampled = 0;
    let closed = false;
    let complete = false;
    try {
      const result = await readBody(conn, pending, length, async (chunk) => {
        alive();
        if (sampled < sample.length) {
          const take = chunk.subarray(0, sample.length - sampled);
          sample.set(take, sampled);
          sampled += take.length;
        }
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
      });
      file.close();
      closed = true;
      if (result.kind === "eof") {
        // the client went away: nobody to answer, nothing kept
        return {
          response: text(400, "the upload ended early\n"),
          rest: new Uint8Array(),
          keepAlive: false,
        };
      }
      const name = uploadName(head.headers.get("content-disposition"));
      const record: UploadRecord = {
        id,
        account,
        size: length,
        name,
        contentType: sniffType(sample),
        createdAt: Date.now(),
      };
      await Deno.rename(partial, join(dir, id));
      complete = true;
      try {
        await this.#host.store.addUpload(record);
      } catch (err) {
        await Deno.remove(join(dir, id)).catch(() => {});
        throw err;
      }
      const url = `${origin}${FILES_PATH}${id}/${encodeURIComponent(name)}`;
      return {
        response: text(201, `${url}\n`, { location: url }),
        rest: result.rest,
        keepAlive: true,
      };
    } finally {
      if (!closed) {
        try {
          file.close();
        } catch {
          // already closed
        }
      }
      if (!complete) await Deno.remove(partial).catch(() => {});
    }
  }

  /** Answers GET or HEAD of `/uploads/<id>[/<name>]`; the file is streamed, not read whole. */
  async serve(path: string, headOnly: boolean): Promise<Response> {
    const id = path.slice(FILES_PATH.length).split("/")[0];
    const record = ID.test(id) ? await this.#host.store.getUpload(id) : undefined;
    if (!record) return text(404, "no such file\n");
    let body: ReadableStream<Uint8Array> | null = null;
    if (!headOnly) {
      try {
        body = (await Deno.open(join(this.#host.dir, id), { read: true })).readable;
      } catch {
        return text(404, "that file is gone\n");
      }
    }
    const image = isImage(record.contentType);
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": record.contentType,
        "content-length": String(record.size),
        "content-disposition": disposition(image ? "inline" : "attachment", record.name),
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
        "referrer-policy": "no-referrer",
        // a file never changes under its id
        "cache-control": "private, max-age=31536000, immutable",
      },
    });
  }
}
