/**
 * `/upload FILE` for the terminal client: POSTs a local file to the server's file host
 * (soju.im/filehost) with the account's credentials (HTTP Basic), reporting progress, and
 * resolves with the address of the uploaded file. Errors are sentences for the user.
 *
 * @module
 */

import { guessContentType, uploadedLocation, uploadHeaders } from "../shared/filehost_upload.ts";
import type { Credentials } from "./registration.ts";
import http from "node:http";
import https from "node:https";

/**
 * Options of {@link uploadFile}.
 *
 * @example
 * ```ts
 * import type { UploadOptions } from "./upload.ts";
 * const o: UploadOptions = { url: "http://127.0.0.1:8080/upload", path: "cat.png",
 *   credentials: { account: "ann", password: "pw" } };
 * ```
 */
export interface UploadOptions {
  /** The upload address (from ISUPPORT). */
  url: string;
  /** The local file. */
  path: string;
  /** The account to upload as. */
  credentials: Credentials;
  /** Called as bytes go out: sent so far, and the file's size. */
  onProgress?: (sent: number, total: number) => void;
  /** Gives up after this long without finishing, in ms (default 5 minutes). */
  timeoutMs?: number;
}

/** The file name of a path (either separator, so Windows paths work too). */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || "file";
}

/**
 * Why a file cannot be opened, in words: Deno's own message repeats the path and an OS
 * error number ("No such file or directory (os error 2): open 'x'").
 */
function whyUnreadable(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "there is no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a folder";
  return (e as Error).message;
}

/** What the server answered. */
interface Answer {
  status: number;
  location: string | null;
  body: string;
}

/**
 * Why the server refused an upload: its own words when it gave a short plain sentence (a
 * quota full is not "too large"), else what the status means. An error page (HTML from a
 * proxy) is never shown.
 */
function refusal(answer: Answer): string {
  const said = answer.body.trim().replace(/\.$/, "");
  if (said !== "" && said.length <= 200 && !/[<\n]/.test(said)) return said;
  return answer.status === 401 || answer.status === 403
    ? "the server refused your account"
    : answer.status === 413
    ? "the file is too large for this server"
    : `the server answered ${answer.status}`;
}

/**
 * Uploads a file; resolves with the address the server gives it, rejects with an Error
 * whose message is a sentence for the user (file missing, refused, too large, …).
 *
 * @example
 * ```ts
 * import { uploadFile } from "./upload.ts";
 * // const link = await uploadFile({ url, path: "shot.png", credentials });
 * ```
 */
export async function uploadFile(opts: UploadOptions): Promise<string> {
  const name = baseName(opts.path);
  let file: Deno.FsFile;
  let size: number;
  try {
    file = await Deno.open(opts.path, { read: true });
  } catch (e) {
    throw new Error(`Cannot read ${opts.path}: ${whyUnreadable(e)}.`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      throw new Error(
        `Cannot read ${opts.path}: ${info.isDirectory ? "it is a folder" : "it is not a file"}.`,
      );
    }
    size = info.size;
    const answer = await post(opts, file, size, name);
    if (answer.status !== 201 && answer.status !== 200) {
      throw new Error(`The upload of ${name} failed: ${refusal(answer)}.`);
    }
    const link = uploadedLocation(answer.location, opts.url);
    if (!link) throw new Error(`The server accepted ${name} but did not say where it is.`);
    return link;
  } finally {
    try {
      file.close();
    } catch {
      // closed by its stream
    }
  }
}

/**
 * POSTs the file with node:http(s): unlike fetch, it sends a stream with its
 * Content-Length (servers refuse chunked uploads) and says how far the writes got.
 */
function post(opts: UploadOptions, file: Deno.FsFile, size: number, name: string): Promise<Answer> {
  const url = new URL(opts.url);
  const request = url.protocol === "https:" ? https.request : http.request;
  return new Promise<Answer>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`The upload of ${name} failed: ${why}`));
    const req = request(url, {
      method: "POST",
      headers: {
        ...uploadHeaders(name, guessContentType(name), opts.credentials),
        "Content-Length": String(size),
      },
    }, (res) => {
      const chunks: Uint8Array[] = [];
      let kept = 0;
      res.on("data", (c: Uint8Array) => {
        // an error page is shown in part at most
        if (kept < 4096) chunks.push(c);
        kept += c.length;
      });
      res.on("end", () => {
        const loc = res.headers["location"];
        resolve({
          status: res.statusCode ?? 0,
          location: typeof loc === "string" ? loc : null,
          body: new TextDecoder().decode(concat(chunks)),
        });
      });
      res.on("error", (e: Error) => fail(e.message));
    });
    req.setTimeout(opts.timeoutMs ?? 300_000, () => req.destroy(new Error("it took too long")));
    req.on("error", (e: Error) => fail(e.message));
    (async () => {
      let sent = 0;
      opts.onProgress?.(0, size);
      for await (const chunk of file.readable) {
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        opts.onProgress?.(Math.min(sent, size), size);
      }
      req.end();
    })().catch((e) => req.destroy(e as Error));
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
