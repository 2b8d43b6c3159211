/**
 * Running Windows' own `deno.exe` under Wine, for the Windows tests: the shared tools
 * (`../shared/tools/wine/setup.sh` once, as root, then `run.sh`) give a chroot with Wine and
 * deno.exe; this module checks it is there, copies the project into a folder run.sh can show
 * to Wine, and starts deno.exe in it.
 *
 * `DENO_CHAT_WINE_RUN` names another run.sh, `DENO_WINE_ROOT` another chroot, `DENO_EXE` another
 * deno.exe (run.sh reads it).
 *
 * @module
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { copyTree } from "../../scripts/build.ts";

/** The project's folder (the one with deno.json). */
export const ROOT: string = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);

/**
 * The shared tools' run.sh: in `shared/` beside the repository (or beside the folder of the
 * worktrees, for a worktree one level deeper), unless `DENO_CHAT_WINE_RUN` names one.
 */
export const RUN_SH: string = Deno.env.get("DENO_CHAT_WINE_RUN") ?? (() => {
  const candidates = [path.resolve(ROOT, ".."), path.resolve(ROOT, "..", "..")].map((d) =>
    path.join(d, "shared", "tools", "wine", "run.sh")
  );
  for (const c of candidates) {
    try {
      Deno.statSync(c);
      return c;
    } catch {
      // not there
    }
  }
  return candidates[0];
})();

const WINE_ROOT = Deno.env.get("DENO_WINE_ROOT") ?? "/tmp/trixie";

/**
 * Why the Wine tests cannot run here, or undefined when they can.
 *
 * @example
 * ```ts ignore
 * const why = wineNotReady();
 * if (why) console.warn(`skipped: ${why}`);
 * ```
 */
export function wineNotReady(): string | undefined {
  if (Deno.build.os !== "linux") return "Wine tests run on Linux";
  try {
    Deno.statSync(RUN_SH);
  } catch {
    return `no ${RUN_SH}`;
  }
  try {
    Deno.statSync(`${WINE_ROOT}/usr/lib/wine/wine64`);
    Deno.statSync(`${WINE_ROOT}/opt/deno/deno.exe`);
  } catch {
    return `no Wine chroot at ${WINE_ROOT} (run ${path.dirname(RUN_SH)}/setup.sh first)`;
  }
  if (Deno.uid() !== 0) return "run.sh needs root";
  return undefined;
}

/**
 * The Windows path of a Linux path inside the stage (run.sh shows it as Z:\...).
 *
 * @example
 * ```ts
 * import { winPath } from "./wine.ts";
 * winPath("/tmp/a b/c"); // "Z:\\tmp\\a b\\c"
 * ```
 */
export function winPath(p: string): string {
  return "Z:" + p.replaceAll("/", "\\");
}

/** What a stage holds by default: the programs and what they need to run. */
export const PROGRAM_ENTRIES: readonly string[] = [
  "server.ts",
  "client.ts",
  "lib",
  "deno.json",
  "deno.lock",
];

/**
 * A copy of `entries` of the project and of the npm cache in a new folder that run.sh can
 * mount, as `STAGE/repo`: the Windows deno sees only that folder, and has no internet, so its
 * npm packages come from our cache. Remove the returned folder when done.
 *
 * @example
 * ```ts ignore
 * const stage = await makeStage();
 * await Deno.remove(stage, { recursive: true });
 * ```
 */
export async function makeStage(entries: readonly string[] = PROGRAM_ENTRIES): Promise<string> {
  const stage = await Deno.makeTempDir({ prefix: "deno-chat-wine-" });
  for (const entry of entries) {
    await copyTree(path.join(ROOT, entry), path.join(stage, "repo", entry)).catch(() => {});
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  }).output();
  const npmCache = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache as string;
  // inside the folder run.sh mounts: nothing else of the host is visible to Wine
  await copyTree(npmCache, path.join(stage, "repo", ".denodir", "npm"));
  return stage;
}

/** How to start deno.exe: its standard streams, extra environment for it. */
export interface WineOptions {
  stdin?: "piped" | "null";
  stdout?: "piped" | "inherit" | "null";
  stderr?: "piped" | "inherit" | "null";
  /** Variables for deno.exe (besides DENO_DIR and NO_COLOR). */
  env?: Record<string, string>;
}

/**
 * Starts `deno.exe ARGS` under Wine with `STAGE/repo` as its working folder.
 *
 * @example
 * ```ts ignore
 * const p = wine(stage, ["--version"]);
 * await p.output();
 * ```
 */
export function wine(stage: string, args: string[], opts: WineOptions = {}): Deno.ChildProcess {
  const extra = opts.env ?? {};
  return new Deno.Command(RUN_SH, {
    args: ["-C", path.join(stage, "repo"), "--", ...args],
    stdin: opts.stdin ?? "null",
    stdout: opts.stdout ?? "piped",
    stderr: opts.stderr ?? "piped",
    env: {
      ...extra,
      DENO_DIR: winPath(path.join(stage, "repo", ".denodir")),
      DENO_WINE_PASSENV: ["DENO_DIR", ...Object.keys(extra)].join(" "),
      NO_COLOR: "1",
    },
  }).spawn();
}
