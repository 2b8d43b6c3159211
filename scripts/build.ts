/**
 * `deno task build`: compiles chat-server and chat-client with `deno compile` into `dist/`,
 * Windows first (that is what the users download), then Linux and macOS.
 *
 * ```sh
 * deno task build                                   # every target
 * deno task build --target x86_64-pc-windows-msvc   # one target (repeatable)
 * deno task build --host                            # only this machine's target
 * DENO_CHAT_VERSION=1.2.0 deno task build           # stamp this version
 * deno task build --dry-run                         # print the deno compile commands
 * ```
 *
 * Each binary gets only the permissions it needs, baked in ({@link PROGRAMS}); the web app's
 * files are embedded with `--include`; the version is stamped in (see {@link resolveVersion}).
 * `deno compile` downloads the Deno runtime for each target (from dl.deno.land) the first
 * time; without internet that fails, and the script says so in plain words.
 *
 * @module
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { STORE_ENV } from "../lib/store/open.ts";
import { SERVED_FOLDERS } from "../lib/web/assets.ts";

/**
 * A `deno compile` target and the name its files get in `dist/`.
 *
 * @example
 * ```ts
 * import { TARGETS, type Target } from "./build.ts";
 * const windows: Target = TARGETS[0];
 * windows.triple; // "x86_64-pc-windows-msvc"
 * ```
 */
export interface Target {
  /** The `--target` value. */
  triple: string;
  /** The suffix of the file names (empty for Windows, whose files are just `chat-server.exe`). */
  suffix: string;
  /** Whether the binaries end in `.exe`. */
  exe: boolean;
}

/**
 * Every target, in build order: Windows first, because the Windows binaries are what the users
 * download, so a failure there shows first.
 *
 * @example
 * ```ts
 * import { TARGETS } from "./build.ts";
 * TARGETS.map((t) => t.triple)[0]; // "x86_64-pc-windows-msvc"
 * ```
 */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-pc-windows-msvc", suffix: "", exe: true },
  { triple: "x86_64-unknown-linux-gnu", suffix: "-linux-x64", exe: false },
  { triple: "aarch64-apple-darwin", suffix: "-macos-arm64", exe: false },
  { triple: "x86_64-apple-darwin", suffix: "-macos-x64", exe: false },
];

/**
 * One program: its entry file and the exact permissions baked into its binary.
 *
 * @example
 * ```ts
 * import { PROGRAMS, type Program } from "./build.ts";
 * const server: Program = PROGRAMS[0];
 * server.name; // "chat-server"
 * ```
 */
export interface Program {
  /** The binary's name without `.exe` or target suffix. */
  name: string;
  /** The entry file, relative to the repository root. */
  entry: string;
  /** Permission flags for `deno compile`. */
  permissions: string[];
  /** More permission flags for the Linux targets only. */
  linuxPermissions?: string[];
  /** Runtime flags baked in (`deno task start` passes the same; tests check they agree). */
  runtimeFlags?: readonly string[];
  /** Files or folders to embed, relative to the repository root, when they exist. */
  include: string[];
}

/**
 * Environment variables the server reads: where the data folder goes when `--data` is not
 * given (lib/platform/data_dir.ts), and what the PostgreSQL driver reads with `--store
 * postgres://…` (lib/store/open.ts). Anything else stays unreadable.
 */
const SERVER_ENV = [
  "SystemRoot",
  "windir",
  "LOCALAPPDATA",
  "USERPROFILE",
  "HOME",
  "XDG_DATA_HOME",
  ...STORE_ENV,
];

/**
 * Environment variables the client reads: the default nickname (client.ts) and the folder of
 * its known-servers file, the TLS certificates the user trusted (lib/client/known_servers.ts).
 */
const CLIENT_ENV = [
  "USER",
  "USERNAME",
  "LOGNAME",
  "DENO_CHAT_CONFIG_DIR",
  "APPDATA",
  "USERPROFILE",
  "XDG_CONFIG_HOME",
  "HOME",
];

/**
 * V8 flags of the server. A young generation of at most 4 MiB per semi-space instead of V8's
 * 16: a burst of registrations grows it to its maximum and V8 gives it back only when its
 * memory reducer runs, many seconds later, so with the default 10,000 idle clients held
 * 9.3 KiB each one second after they came, with this 4.9 (bench/README.md, "Memory per idle
 * client"). The fan-out bench showed no difference beyond its spread (CPU, p50, p99 at
 * 400/800/1,600 msg/s, two runs).
 *
 * @example
 * ```ts
 * import { SERVER_V8_FLAGS } from "./build.ts";
 * SERVER_V8_FLAGS[0].startsWith("--v8-flags="); // true
 * ```
 */
export const SERVER_V8_FLAGS: readonly string[] = ["--v8-flags=--max-semi-space-size=4"];

/**
 * The two programs. Why each permission:
 *
 * - server: `--allow-net` (listens on the address and ports the user picks; IRC, TLS, web),
 *   `--allow-read`/`--allow-write` (the data folder, the MOTD, certificate files: all paths
 *   the user picks, so they cannot be narrowed at build time), `--allow-env` for the few
 *   variables above, `--allow-sys=networkInterfaces,hostname` (the LAN addresses printed at
 *   start and put in the self-made TLS certificate). On Linux also `--allow-ffi`: plain TCP
 *   output goes straight to the socket with libc's `send` (lib/transport/socket_send.ts),
 *   much cheaper per recipient than an async write; the other systems do without it.
 * - client: `--allow-net` (the server the user names), `--allow-read`/`--allow-write` (its
 *   known-servers file, in a per-user folder only known at run time), `--allow-env` for the
 *   variables above. No `--allow-sys`.
 *
 * @example
 * ```ts
 * import { PROGRAMS } from "./build.ts";
 * PROGRAMS[1].permissions.includes("--allow-net"); // true
 * ```
 */
export const PROGRAMS: readonly Program[] = [
  {
    name: "chat-server",
    entry: "server.ts",
    permissions: [
      "--allow-net",
      "--allow-read",
      "--allow-write",
      `--allow-env=${SERVER_ENV.join(",")}`,
      "--allow-sys=networkInterfaces,hostname",
    ],
    linuxPermissions: ["--allow-ffi"],
    runtimeFlags: SERVER_V8_FLAGS,
    // the web app's folders, as lib/web/assets.ts serves them (SERVED_FOLDERS)
    include: [...SERVED_FOLDERS],
  },
  {
    name: "chat-client",
    entry: "client.ts",
    permissions: [
      "--allow-net",
      "--allow-read",
      "--allow-write",
      `--allow-env=${CLIENT_ENV.join(",")}`,
    ],
    include: [],
  },
];

/**
 * The file name of a program's binary for a target: `chat-server.exe` for Windows,
 * `chat-server-linux-x64` and so on for the others, so all of them fit in one `dist/` folder
 * and in one release.
 *
 * @example
 * ```ts
 * import { binaryName, TARGETS } from "./build.ts";
 * binaryName("chat-client", TARGETS[0]); // "chat-client.exe"
 * binaryName("chat-client", TARGETS[1]); // "chat-client-linux-x64"
 * ```
 */
export function binaryName(program: string, target: Target): string {
  return `${program}${target.suffix}${target.exe ? ".exe" : ""}`;
}

/**
 * Options for {@link compileArgs}.
 *
 * @example
 * ```ts
 * import type { CompileOptions } from "./build.ts";
 * const o: CompileOptions = { outDir: "/repo/dist", includes: ["lib/web/static"] };
 * ```
 */
export interface CompileOptions {
  /** Absolute output folder. */
  outDir: string;
  /** The program's includes that exist on disk (missing ones are left out). */
  includes: string[];
  /** An `.ico` file for the Windows binaries, if there is one. */
  icon?: string;
}

/**
 * The arguments after `deno` for compiling one program for one target.
 *
 * @example
 * ```ts
 * import { compileArgs, PROGRAMS, TARGETS } from "./build.ts";
 * const args = compileArgs(PROGRAMS[1], TARGETS[0], { outDir: "/r/dist", includes: [] });
 * args.slice(0, 3); // ["compile", "--target", "x86_64-pc-windows-msvc"]
 * args.at(-1); // "client.ts"
 * ```
 */
export function compileArgs(program: Program, target: Target, options: CompileOptions): string[] {
  const args = ["compile", "--target", target.triple];
  args.push("--output", path.join(options.outDir, binaryName(program.name, target)));
  // a compiled binary must never stop to ask for a permission: it has exactly these
  args.push("--no-prompt", ...program.permissions);
  if (target.triple.includes("linux")) args.push(...program.linuxPermissions ?? []);
  args.push(...program.runtimeFlags ?? []);
  for (const inc of options.includes) args.push("--include", inc);
  if (target.exe && options.icon !== undefined) args.push("--icon", options.icon);
  args.push(program.entry);
  return args;
}

/**
 * The version to stamp in: `DENO_CHAT_VERSION` if set (the release workflow sets it from the
 * tag), else `git describe --tags --always --dirty`, else the version in lib/version.ts. A
 * leading `v` of a tag is dropped; a bare commit hash (no tag yet) is appended to the source
 * version as build metadata.
 *
 * @example
 * ```ts
 * import { resolveVersion } from "./build.ts";
 * resolveVersion({ env: "v1.2.0", describe: undefined, source: "0.1.0" }); // "1.2.0"
 * resolveVersion({ env: undefined, describe: "v1.2.0-3-gab12cd3", source: "0.1.0" });
 * // "1.2.0-3-gab12cd3"
 * resolveVersion({ env: undefined, describe: "ab12cd3-dirty", source: "0.1.0" });
 * // "0.1.0+ab12cd3-dirty"
 * resolveVersion({ env: undefined, describe: undefined, source: "0.1.0" }); // "0.1.0"
 * ```
 */
export function resolveVersion(
  input: { env: string | undefined; describe: string | undefined; source: string },
): string {
  const env = input.env?.trim();
  if (env) return env.replace(/^v(?=\d)/, "");
  const d = input.describe?.trim();
  if (!d) return input.source;
  if (/^v?\d+\.\d+/.test(d)) return d.replace(/^v/, "");
  return `${input.source}+${d}`;
}

/** Matches the VERSION line of lib/version.ts. */
const VERSION_LINE = /^export const VERSION = "([^"]*)";$/m;

/**
 * lib/version.ts with another version in it. Throws if the file no longer has the expected
 * `export const VERSION = "...";` line, so a stamp can never silently not happen.
 *
 * @example
 * ```ts
 * import { stampVersion } from "./build.ts";
 * stampVersion('export const VERSION = "0.1.0";\n', "1.2.0"); // 'export const VERSION = "1.2.0";\n'
 * ```
 */
export function stampVersion(source: string, version: string): string {
  if (!VERSION_LINE.test(source)) {
    throw new Error('lib/version.ts has no line `export const VERSION = "...";` to stamp');
  }
  if (!/^[0-9A-Za-z.+\-]+$/.test(version)) throw new Error(`bad version "${version}"`);
  return source.replace(VERSION_LINE, `export const VERSION = "${version}";`);
}

/**
 * Whether `deno compile` failed because it could not download the runtime for the target
 * (no internet, a proxy, dl.deno.land down), judged from its error output.
 *
 * @example
 * ```ts
 * import { isRuntimeDownloadFailure } from "./build.ts";
 * isRuntimeDownloadFailure("0: Setting up base binary.\n1: error sending request for url"); // true
 * isRuntimeDownloadFailure("error: TS2322 [ERROR]: Type 'string' is not assignable"); // false
 * ```
 */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /Setting up base binary|dl\.deno\.land|denort-[\w-]+\.zip/.test(stderr) &&
    /error sending request|dns error|Connect|timed out|certificate|status code|404/i.test(stderr);
}

/**
 * The message printed when the runtime download fails.
 *
 * @example
 * ```ts
 * import { downloadFailureMessage } from "./build.ts";
 * downloadFailureMessage("x86_64-pc-windows-msvc").includes("DENORT_BIN"); // true
 * ```
 */
export function downloadFailureMessage(triple: string): string {
  return [
    `build: deno compile could not download the Deno runtime for ${triple}.`,
    `  It fetches denort-${triple}.zip from https://dl.deno.land the first time and caches it`,
    "  (in DENO_DIR). Connect this machine to the internet once and run `deno task build` again,",
    "  or set DENORT_BIN to a denort binary of this Deno version downloaded elsewhere (then build",
    "  one --target at a time).",
  ].join("\n");
}

/**
 * Parsed `deno task build` options.
 *
 * @example
 * ```ts
 * import { parseBuildArgs } from "./build.ts";
 * parseBuildArgs(["--target", "x86_64-unknown-linux-gnu"]).targets.length; // 1
 * ```
 */
export interface BuildOptions {
  /** The targets to build, in build order. */
  targets: Target[];
  /** Print the commands instead of running them. */
  dryRun: boolean;
}

/**
 * The target of the machine running the build, if it is one we build.
 *
 * @example
 * ```ts
 * import { hostTarget } from "./build.ts";
 * hostTarget("x86_64-unknown-linux-gnu")?.suffix; // "-linux-x64"
 * ```
 */
export function hostTarget(hostTriple: string = Deno.build.target): Target | undefined {
  return TARGETS.find((t) => t.triple === hostTriple);
}

/**
 * Parses the command line of `deno task build`. Throws with a readable message on bad input.
 *
 * @example
 * ```ts
 * import { parseBuildArgs } from "./build.ts";
 * parseBuildArgs([]).targets[0].triple; // "x86_64-pc-windows-msvc"
 * ```
 */
export function parseBuildArgs(argv: string[], hostTriple = Deno.build.target): BuildOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: "string", multiple: true, default: [] },
      host: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const wanted = new Set<string>(values.target);
  if (values.host) {
    const host = hostTarget(hostTriple);
    if (!host) throw new Error(`this machine (${hostTriple}) is not one of the build targets`);
    wanted.add(host.triple);
  }
  for (const t of wanted) {
    if (!TARGETS.some((k) => k.triple === t)) {
      throw new Error(
        `unknown target "${t}"; known: ${TARGETS.map((k) => k.triple).join(", ")}`,
      );
    }
  }
  const targets = wanted.size === 0 ? [...TARGETS] : TARGETS.filter((t) => wanted.has(t.triple));
  return { targets, dryRun: values["dry-run"] };
}

/** The repository root (this file lives in scripts/). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function gitDescribe(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", {
      args: ["describe", "--tags", "--always", "--dirty"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined; // no git: use the source version
  }
}

/** The files `deno compile` needs from the repository, copied to the staging folder. */
const STAGE_ENTRIES = ["server.ts", "client.ts", "lib", "deno.json", "deno.lock"];

/**
 * Copies a file or a folder tree.
 *
 * @example
 * ```ts ignore
 * await copyTree("lib", "/tmp/stage/lib");
 * ```
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) {
    await Deno.mkdir(path.dirname(to), { recursive: true });
    await Deno.copyFile(from, to);
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    await copyTree(path.join(from, e.name), path.join(to, e.name));
  }
}

/**
 * Copies the sources into a temporary folder and stamps the version there, so the working
 * tree is never modified by a build (an interrupted build leaves nothing behind to commit).
 */
async function stage(version: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-build-" });
  for (const entry of STAGE_ENTRIES) {
    if (await exists(path.join(ROOT, entry))) {
      await copyTree(path.join(ROOT, entry), path.join(dir, entry));
    }
  }
  const versionFile = path.join(dir, "lib", "version.ts");
  await Deno.writeTextFile(
    versionFile,
    stampVersion(await Deno.readTextFile(versionFile), version),
  );
  return dir;
}

async function main(argv: string[]): Promise<number> {
  let options: BuildOptions;
  try {
    options = parseBuildArgs(argv);
  } catch (err) {
    console.error(`build: ${(err as Error).message}`);
    return 2;
  }
  const source = VERSION_LINE.exec(await Deno.readTextFile(path.join(ROOT, "lib", "version.ts")));
  let envVersion: string | undefined;
  try {
    envVersion = Deno.env.get("DENO_CHAT_VERSION");
  } catch {
    envVersion = undefined;
  }
  const version = resolveVersion({
    env: envVersion,
    describe: await gitDescribe(),
    source: source?.[1] ?? "0.0.0",
  });
  const outDir = path.join(ROOT, "dist");
  const iconPath = path.join(ROOT, "assets", "deno-chat.ico");
  const icon = await exists(iconPath) ? iconPath : undefined;
  console.log(`build: deno-chat ${version} for ${options.targets.map((t) => t.triple).join(", ")}`);

  const stageDir = options.dryRun ? ROOT : await stage(version);
  try {
    await Deno.mkdir(outDir, { recursive: true });
    for (const target of options.targets) {
      for (const program of PROGRAMS) {
        const includes: string[] = [];
        for (const inc of program.include) {
          // the web app may not exist in every checkout of this repository's history
          if (await exists(path.join(stageDir, inc))) includes.push(inc);
          else console.warn(`build: ${inc} not found, not embedded in ${program.name}`);
        }
        const args = compileArgs(program, target, { outDir, includes, icon });
        console.log(`build: deno ${args.join(" ")}`);
        if (options.dryRun) continue;
        const child = new Deno.Command(Deno.execPath(), {
          args,
          cwd: stageDir,
          stdout: "inherit",
          stderr: "piped",
        }).spawn();
        // deno prints its progress on stderr: show it as it comes, and keep it to judge a failure
        let stderr = "";
        const decoder = new TextDecoder();
        for await (const chunk of child.stderr) {
          stderr += decoder.decode(chunk, { stream: true });
          await Deno.stderr.write(chunk);
        }
        const status = await child.status;
        if (!status.success) {
          console.error(
            isRuntimeDownloadFailure(stderr)
              ? downloadFailureMessage(target.triple)
              : `build: deno compile failed for ${program.name} (${target.triple})`,
          );
          return 1;
        }
      }
    }
  } finally {
    if (stageDir !== ROOT) await Deno.remove(stageDir, { recursive: true }).catch(() => {});
  }
  if (!options.dryRun) console.log(`build: done, binaries in ${outDir}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
