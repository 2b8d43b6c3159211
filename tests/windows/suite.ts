/**
 * `deno task test:windows`: the project's tests on Windows' own `deno.exe`, under Wine (see
 * wine.ts), then the Linux-driven Wine tests of this folder (wine_test.ts).
 *
 * Which tests: every test file under tests/ (`*_test.ts`, `*.test.ts`), found by pattern so
 * new files are included by themselves, except those matched by {@link SKIP_ON_WINDOWS},
 * each printed with its reason. Tests inside a file that need what Windows lacks (tmux,
 * irssi, WeeChat, chromium, openssl, ngircd, the Linux FFI send, signals) skip themselves
 * with `ignore:`; after the run each such test is listed with the reason found for it, so
 * nothing is skipped silently. Type checking is left to `deno task check` (it does not
 * depend on the platform), which keeps the Wine run to about two minutes.
 *
 * Exits 0 with one line saying why when Wine is not set up (CI without the chroot).
 *
 * Usage: `deno run -A tests/windows/suite.ts [--list] [TEST_FILE_OR_FOLDER...]`
 * (`--list`: print the selection and the skipped files, run nothing).
 *
 * @module
 */

import path from "node:path";
import { makeStage, ROOT, wine, wineNotReady, winPath } from "./wine.ts";

/** Files never run on Windows, and why (paths relative to the project, `/` separators). */
export const SKIP_ON_WINDOWS: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^tests\/windows\//,
    reason: "runs on Linux and drives deno.exe under Wine itself (run after the suite)",
  },
  {
    pattern: /^tests\/bench\/smoke_test\.ts$/,
    reason: "spawns bash when loaded to look for ngircd; Windows has no bash, so the file " +
      "fails instead of skipping its test",
  },
];

/**
 * Why a test ignored itself, guessed from its file and name (the test's `ignore:` says it
 * exactly); first match wins.
 */
const IGNORE_REASONS: readonly [RegExp, string][] = [
  [/tcp_test\.ts|FFI|direct ?send/i, "the direct (FFI) send path is Linux-only"],
  [/redis/i, "needs redis-server (a Linux program)"],
  [/postgres/i, "needs PostgreSQL (Debian's postgresql)"],
  [/tmux|irssi|weechat/i, "needs tmux and a terminal IRC client (Linux programs)"],
  [/browser_test|web app|chromium/i, "needs chromium"],
  [/ngircd/i, "needs ngircd"],
  [/openssl|CA-signed/i, "needs the openssl command"],
  [/SIGINT|Ctrl\+C/i, "signals are sent differently on Windows (wine_test.ts covers Ctrl+C)"],
];

function ignoreReason(file: string, name: string): string {
  for (const [re, why] of IGNORE_REASONS) if (re.test(`${file}: ${name}`)) return why;
  return "its own ignore: condition (a program or feature this platform lacks)";
}

/** Every test file under `dir` (relative to ROOT), sorted. */
async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const info = await Deno.stat(path.join(ROOT, dir));
  if (info.isFile) return [dir];
  for await (const e of Deno.readDir(path.join(ROOT, dir))) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory) out.push(...await testFiles(rel));
    else if (/(_test|\.test)\.(ts|tsx|js|mjs)$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

/**
 * The test files under `roots` to run on Windows, and the ones skipped, with reasons.
 *
 * @example
 * ```ts ignore
 * const { run, skipped } = await selectTests(["tests/protocol"]);
 * ```
 */
export async function selectTests(
  roots: string[] = ["tests"],
): Promise<{ run: string[]; skipped: { file: string; reason: string }[] }> {
  const run: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const root of roots) {
    for (const file of await testFiles(root.replace(/\/+$/, ""))) {
      const skip = SKIP_ON_WINDOWS.find((s) => s.pattern.test(file));
      if (skip) skipped.push({ file, reason: skip.reason });
      else run.push(file);
    }
  }
  return { run, skipped };
}

/** Entries of the project left out of the stage (data, builds, caches). */
const NOT_STAGED = new Set([".git", "chat-data", "dist", "node_modules", ".denodir"]);

/**
 * Copies the lines of `stream` to `out`, keeping them for parsing, except the dump of its
 * objects that wineserver prints to stderr when it exits (`0x55…:1: Socket fd=…`): noise
 * about Wine, not about the tests.
 */
async function tee(
  stream: ReadableStream<Uint8Array>,
  out: { write(b: Uint8Array): Promise<number> },
  keep: string[] = [],
): Promise<void> {
  const encoder = new TextEncoder();
  let buf = "";
  const emit = async (line: string) => {
    if (/^0x[0-9a-f]+:\d+: /.test(line)) return;
    keep.push(line);
    await out.write(encoder.encode(line + "\n"));
  };
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) !== -1) {
      await emit(buf.slice(0, i).replace(/\r$/, ""));
      buf = buf.slice(i + 1);
    }
  }
  if (buf !== "") await emit(buf);
}

/** The tests that ignored themselves, by file, from `deno test` output. */
function ignoredTests(output: string): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  let file = "";
  for (const line of output.split(/\r?\n/)) {
    const running = /^running \d+ tests? from \.\/(.+)$/.exec(line);
    if (running) file = running[1];
    const ignored = /^(.*) \.\.\. ignored \(/.exec(line);
    if (ignored) out.push({ file, name: ignored[1] });
  }
  return out;
}

async function main(args: string[]): Promise<number> {
  const list = args.includes("--list");
  const roots = args.filter((a) => a !== "--list");
  const notReady = wineNotReady();
  if (notReady && !list) {
    console.log(`Windows (Wine) tests skipped: ${notReady}`);
    return 0;
  }
  const { run, skipped } = await selectTests(roots.length ? roots : ["tests"]);
  for (const s of skipped) console.log(`skipped on Windows: ${s.file}: ${s.reason}`);
  if (list) {
    for (const f of run) console.log(f);
    return 0;
  }

  const entries: string[] = [];
  for await (const e of Deno.readDir(ROOT)) if (!NOT_STAGED.has(e.name)) entries.push(e.name);
  const stage = await makeStage(entries);
  const t0 = Date.now();
  let code: number;
  try {
    // temporary files inside the stage: they go with it, not into the shared Wine prefix
    const tmp = path.join(stage, "repo", ".tmp");
    await Deno.mkdir(tmp);
    const version = await wine(stage, ["--version"]).output();
    const v = new TextDecoder().decode(version.stdout).split(/\r?\n/)[0];
    console.log(`${v}, under Wine: ${run.length} test files`);
    const proc = wine(stage, ["test", "--no-check", "--allow-all", ...run], {
      env: { TEMP: winPath(tmp), TMP: winPath(tmp) },
    });
    const output: string[] = [];
    await Promise.all([tee(proc.stdout, Deno.stdout, output), tee(proc.stderr, Deno.stderr)]);
    code = (await proc.status).code;
    const ignored = ignoredTests(output.join("\n"));
    if (ignored.length) {
      console.log(`\nignored on Windows by the tests themselves (${ignored.length}):`);
      for (const t of ignored) {
        console.log(`  ${t.file}: ${t.name}: ${ignoreReason(t.file, t.name)}`);
      }
    }
    console.log(
      `\nWindows suite under Wine: exit ${code} in ${Math.round((Date.now() - t0) / 1000)} s`,
    );
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
  if (roots.length) return code; // a chosen set of files only

  // the Linux-driven tests of Windows-only behaviour (Ctrl+C, data folder, exit codes)
  const linux = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "tests/windows/"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code !== 0 ? code : linux.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
