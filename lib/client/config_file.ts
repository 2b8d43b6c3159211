/**
 * Reading and replacing the client's small files in its config folder (known servers, STS
 * policies): a missing file reads as empty, an unreadable one is a clear error, and a write
 * replaces the file atomically so a crash never leaves half of it.
 *
 * A change is a read-modify-write ({@link updateConfigText}); two of them at once (two pins in
 * one client, or two clients started together) must not both read the old text and then
 * each write it back with only its own change, losing the other's (a lost STS policy would
 * let the next connection go out in plain text). So changes to one file are queued within
 * the process, and between processes they hold an exclusive lock on `FILE.lock` beside it.
 *
 * @module
 */

import { join } from "node:path";

/**
 * The file's text, or "" when it does not exist yet. Throws a plain-words error otherwise.
 *
 * @example
 * ```ts
 * import { readConfigText } from "./config_file.ts";
 * await readConfigText("/no/such/folder/known_servers"); // ""
 * ```
 */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Replaces the file with `text` (creating its folder): written beside it, then renamed over it.
 *
 * @example
 * ```ts
 * import { readConfigText, writeConfigAtomic } from "./config_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writeConfigAtomic(`${dir}/sub/file`, "hello\n");
 * await readConfigText(`${dir}/sub/file`); // "hello\n"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeConfigAtomic(path: string, text: string, mode?: number): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text, mode === undefined ? {} : { mode });
  await Deno.rename(tmp, path);
}

/** The change in progress per file, in this process: the next one waits for it. */
const pending = new Map<string, Promise<void>>();

/**
 * Changes the file: `change` gets its current text ("" when missing) and returns the new
 * text, or undefined to leave it as it is. Changes to one file never overlap, in this process
 * or between processes (see the module doc), so none is lost.
 *
 * @example
 * ```ts
 * import { readConfigText, updateConfigText } from "./config_file.ts";
 * const dir = await Deno.makeTempDir();
 * const f = `${dir}/list`;
 * await Promise.all(["a", "b", "c"].map((x) => updateConfigText(f, (t) => t + x + "\n")));
 * (await readConfigText(f)).split("\n").length; // 4
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function updateConfigText(
  path: string,
  change: (text: string) => string | undefined,
  mode?: number,
): Promise<void> {
  const before = pending.get(path) ?? Promise.resolve();
  const mine = before.then(async () => {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const lock = await Deno.open(`${path}.lock`, {
      read: true,
      write: true,
      create: true,
      ...(mode === undefined ? {} : { mode }),
    });
    try {
      await lock.lock(true);
      const text = await readConfigText(path);
      const next = change(text);
      if (next !== undefined && next !== text) await writeConfigAtomic(path, next, mode);
    } finally {
      lock.close(); // releases the lock
    }
  });
  // a failed change is its caller's error; the next one still runs
  const settled = mine.catch(() => {});
  pending.set(path, settled);
  settled.then(() => {
    if (pending.get(path) === settled) pending.delete(path);
  });
  return mine;
}
