/**
 * Reading and replacing the client's small files in its config folder (known servers, STS
 * policies): a missing file reads as empty, an unreadable one is a clear error, and a write
 * replaces the file atomically so a crash never leaves half of it.
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
