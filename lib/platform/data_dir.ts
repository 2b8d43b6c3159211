/**
 * Where the server keeps its data when `--data` is not given.
 *
 * From a shell the answer is `chat-data` in the current folder, as always. A double-clicked
 * `chat-server.exe` runs with the folder of the .exe as its current folder, so its data lands
 * next to the .exe, which is where a user looks for it. Two cases need another answer: a current
 * folder the user cannot write to (an .exe in `C:\Program Files`, a Linux service started in
 * `/`), and a current folder inside the Windows folder (some launchers start programs in
 * `C:\Windows\System32`, which an administrator *can* write to, but data must never go there).
 * Then the data goes to the per-user application data folder.
 *
 * The rule is a pure function of a few probes ({@link chooseDataDir}), so Windows paths are
 * unit-tested on any OS; {@link defaultDataDir} runs it against the real machine.
 *
 * @module
 */

import path from "node:path";
import { makePrivateDirSync } from "./private_files.ts";

/** The folder name used in the current folder. */
export const DATA_DIR_NAME = "chat-data";

/** The folder name used inside the per-user application data folder. */
export const APP_DIR_NAME = "deno-chat";

/**
 * What {@link chooseDataDir} needs to know about the machine.
 *
 * @example
 * ```ts
 * import type { DataDirProbe } from "./data_dir.ts";
 * const probe: DataDirProbe = {
 *   os: "linux",
 *   cwd: "/home/ann",
 *   env: () => undefined,
 *   exists: () => false,
 *   canCreate: () => true,
 * };
 * ```
 */
export interface DataDirProbe {
  /** The operating system, as in `Deno.build.os`. */
  os: typeof Deno.build.os;
  /** The current folder, or undefined when it cannot be read. */
  cwd: string | undefined;
  /** Reads an environment variable (undefined when unset or not allowed). */
  env(name: string): string | undefined;
  /** Whether this folder exists already. */
  exists(dir: string): boolean;
  /** Creates this folder (and its parents); false when that is not possible. */
  canCreate(dir: string): boolean;
}

/**
 * The chosen data folder and, in a few words, why it was chosen (printed at start).
 *
 * @example
 * ```ts
 * import type { DataDirChoice } from "./data_dir.ts";
 * const c: DataDirChoice = { path: "/srv/chat-data", reason: "in the current folder" };
 * ```
 */
export interface DataDirChoice {
  /** An absolute path. */
  path: string;
  /** Why this folder, e.g. "the current folder is not writable". */
  reason: string;
}

function pathFor(os: typeof Deno.build.os): path.PlatformPath {
  return os === "windows" ? path.win32 : path.posix;
}

/**
 * The per-user application data folder for deno-chat: `%LOCALAPPDATA%\deno-chat` on Windows
 * (local, not roaming: a chat database should not travel with a roaming profile),
 * `~/Library/Application Support/deno-chat` on macOS, `$XDG_DATA_HOME/deno-chat` or
 * `~/.local/share/deno-chat` elsewhere. Undefined when the environment does not say.
 *
 * @example
 * ```ts
 * import { appDataDir } from "./data_dir.ts";
 * appDataDir("windows", (n) => n === "LOCALAPPDATA" ? "C:\\Users\\Zoë\\AppData\\Local" : undefined);
 * // "C:\\Users\\Zoë\\AppData\\Local\\deno-chat"
 * ```
 */
export function appDataDir(
  os: typeof Deno.build.os,
  env: (name: string) => string | undefined,
): string | undefined {
  const p = pathFor(os);
  const abs = (v: string | undefined) => (v && p.isAbsolute(v) ? v : undefined);
  if (os === "windows") {
    const base = abs(env("LOCALAPPDATA")) ??
      (abs(env("USERPROFILE")) && p.join(env("USERPROFILE")!, "AppData", "Local"));
    return base ? p.join(base, APP_DIR_NAME) : undefined;
  }
  const home = abs(env("HOME"));
  if (os === "darwin") {
    return home ? p.join(home, "Library", "Application Support", APP_DIR_NAME) : undefined;
  }
  const xdg = abs(env("XDG_DATA_HOME"));
  if (xdg) return p.join(xdg, APP_DIR_NAME);
  return home ? p.join(home, ".local", "share", APP_DIR_NAME) : undefined;
}

/**
 * Whether `dir` is the Windows folder (`%SystemRoot%`, usually `C:\Windows`) or inside it.
 * Windows paths compare case-insensitively.
 *
 * @example
 * ```ts
 * import { isInsideWindowsDir } from "./data_dir.ts";
 * isInsideWindowsDir("C:\\WINDOWS\\system32", "C:\\Windows"); // true
 * isInsideWindowsDir("C:\\Users\\ann", "C:\\Windows"); // false
 * ```
 */
export function isInsideWindowsDir(dir: string, systemRoot: string): boolean {
  const rel = path.win32.relative(systemRoot, dir);
  return rel === "" || (!rel.startsWith("..") && !path.win32.isAbsolute(rel));
}

/**
 * The data folder rule, used when `--data` is not given:
 *
 * 1. `chat-data` in the current folder if it already exists (existing data is always found);
 * 2. otherwise, unless the current folder is inside the Windows folder, `chat-data` in the
 *    current folder if it can be created there;
 * 3. otherwise `deno-chat` in the per-user application data folder ({@link appDataDir});
 * 4. and if the environment names no such folder, `chat-data` in the current folder anyway
 *    (the server then reports why it cannot create it).
 *
 * @example
 * ```ts
 * import { chooseDataDir } from "./data_dir.ts";
 * const c = chooseDataDir({
 *   os: "windows",
 *   cwd: "C:\\Windows\\System32",
 *   env: (n) => ({ SystemRoot: "C:\\Windows", LOCALAPPDATA: "C:\\Users\\Zoë\\AppData\\Local" })[n],
 *   exists: () => false,
 *   canCreate: () => true,
 * });
 * c.path; // "C:\\Users\\Zoë\\AppData\\Local\\deno-chat"
 * ```
 */
export function chooseDataDir(probe: DataDirProbe): DataDirChoice {
  const p = pathFor(probe.os);
  const here = probe.cwd !== undefined ? p.join(probe.cwd, DATA_DIR_NAME) : undefined;
  if (here !== undefined && probe.exists(here)) {
    return { path: here, reason: "in the current folder" };
  }
  const systemRoot = probe.os === "windows"
    ? probe.env("SystemRoot") ?? probe.env("windir") ?? "C:\\Windows"
    : undefined;
  const inWindowsDir = here !== undefined && systemRoot !== undefined &&
    isInsideWindowsDir(probe.cwd!, systemRoot);
  if (here !== undefined && !inWindowsDir && probe.canCreate(here)) {
    return { path: here, reason: "in the current folder" };
  }
  const app = appDataDir(probe.os, probe.env);
  const why = here === undefined
    ? "the current folder is unknown"
    : inWindowsDir
    ? "the current folder is the Windows folder"
    : "the current folder is not writable";
  if (app !== undefined) return { path: app, reason: `${why}, so the user's app data folder` };
  return { path: here ?? DATA_DIR_NAME, reason: "in the current folder" };
}

/**
 * Runs {@link chooseDataDir} on this machine. Creates the chosen folder when it is in the
 * current folder (that is the writability check); the caller creates it otherwise.
 *
 * @example
 * ```ts ignore
 * import { defaultDataDir } from "./data_dir.ts";
 * const { path, reason } = defaultDataDir();
 * console.log(`data: ${path} (${reason})`);
 * ```
 */
export function defaultDataDir(): DataDirChoice {
  let cwd: string | undefined;
  try {
    cwd = Deno.cwd();
  } catch {
    cwd = undefined; // deleted folder or no read permission
  }
  return chooseDataDir({
    os: Deno.build.os,
    cwd,
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // not in --allow-env: treat as unset
      }
    },
    exists: (dir) => {
      try {
        return Deno.statSync(dir).isDirectory;
      } catch {
        return false;
      }
    },
    canCreate: (dir) => {
      try {
        makePrivateDirSync(dir);
        return true;
      } catch {
        return false;
      }
    },
  });
}
