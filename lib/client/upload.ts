/**
 * `/upload FILE` for the terminal client: POSTs a local file to the server's file host
 * (soju.im/filehost) with the account's credentials (HTTP Basic), reporting progress, and
 * resolves with the address of the uploaded file. Errors are sentences for the user.
 *
 * @module
 */

import {
  basicAuth,
  contentDisposition,
  guessContentType,
  uploadedLocation,
} from "../shared/filehost_upload.ts";
import type { Credentials } from "./registration.ts";

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

/** Bytes read from the file per chunk (and the step of the progress reports). */
const CHUNK = 64 * 1024;

/** The file name of a path (either separator, so Windows paths work too). */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || "file";
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
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      throw new Error("not a file");
    }
    size = info.size;
  } catch (e) {
    throw new Error(`Cannot read ${opts.path}: ${(e as Error).message}`);
  }
  let sent = 0;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    file.close();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(CHUNK);
      const n = await file.read(buf);
      if (n === null) {
        close();
        controller.close();
        return;
      }
      sent += n;
      opts.onProgress?.(sent, size);
      controller.enqueue(buf.subarray(0, n));
    },
    cancel: close,
  });
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 300_000);
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: "POST",
      headers: {
        "Authorization": basicAuth(opts.credentials.account, opts.credentials.password),
        "Content-Type": guessContentType(name),
        "Content-Disposition": contentDisposition(name),
        "Content-Length": String(size),
      },
      body,
      signal,
    });
  } catch (e) {
    close();
    const why = signal.aborted ? "it took too long" : (e as Error).message;
    throw new Error(`The upload of ${name} failed: ${why}`);
  }
  close();
  const answer = (await res.text().catch(() => "")).trim().slice(0, 200);
  if (res.status !== 201 && res.status !== 200) {
    const why = res.status === 401 || res.status === 403
      ? "the server refused your account"
      : res.status === 413
      ? "the file is too large for this server"
      : `the server answered ${res.status}`;
    throw new Error(`The upload of ${name} failed: ${why}${answer ? ` (${answer})` : ""}.`);
  }
  const link = uploadedLocation(res.headers.get("Location"), opts.url);
  if (!link) throw new Error(`The server accepted ${name} but did not say where it is.`);
  return link;
}
