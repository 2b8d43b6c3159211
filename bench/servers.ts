/**
 * The servers the bench measures: ours (server.ts), ngircd and InspIRCd from Debian, and
 * optionally ergo. Each is started on 127.0.0.1 on a free port, with a config written into a
 * temp dir that lifts flood and per-IP connection limits, and stopped afterwards.
 *
 * @module
 */

import { onCleanup, track, untrack } from "./procs.ts";
import { SERVER_V8_FLAGS } from "../scripts/build.ts";

/** Kinds of server the bench knows how to start. */
export type ServerKind = "ours" | "ngircd" | "inspircd" | "ergo";

/** A column of the comparison: a server kind, or a named variant of ours (`--variant`). */
export type TargetName = string;

/** A started server. */
export interface RunningServer {
  /** Which server. */
  name: TargetName;
  /** The server process id (for /proc/<pid>/status). */
  pid: number;
  host: string;
  port: number;
  /** Its temp dir (config, logs, data). */
  dir: string;
  /**
   * Several listening servers taken as one (the nodes of a cluster): clients are spread
   * over these ports; absent for a single server (`port` then).
   */
  ports?: number[];
  /**
   * The processes whose CPU time counts, by group: `server` (the server, or every node)
   * and e.g. `redis`, `postgres`. Absent: `{ server: [pid] }`.
   */
  cpuGroups?(): Record<string, number[]>;
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

/** The processes of a server whose CPU counts, by group (see {@link RunningServer.cpuGroups}). */
export function cpuGroupsOf(s: RunningServer): Record<string, number[]> {
  return s.cpuGroups?.() ?? { server: [s.pid] };
}

/** Options for starting a server. */
export interface StartOptions {
  /** Extra arguments for our server (e.g. `--cpu-prof` goes to deno, see main.ts). */
  denoFlags?: string[];
  /** Directory to keep (not delete) on stop, e.g. to collect a CPU profile. */
  keepDir?: boolean;
  /** Max connections the config should allow. */
  maxClients: number;
  /** Extra arguments for our server.ts, after the bench's own (e.g. `--cluster …`). */
  serverArgs?: string[];
}

const HOST = "127.0.0.1";
let ourLimitNames: Set<string> | null = null;
let ourRoot = new URL("../", import.meta.url).pathname;

/** Points the bench at another checkout of our server (a dir holding server.ts). */
export function setOurRoot(dir: string): void {
  ourRoot = dir.endsWith("/") ? dir : dir + "/";
  ourLimitNames = null;
}

/** The server.ts the bench runs as "ours". */
export function ourServerPath(): string {
  return `${ourRoot}server.ts`;
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one, then releases it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resident set size of a process in KiB (VmRSS in /proc/<pid>/status); 0 if unreadable. */
export function rssKiB(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd); 0 if unreadable. */
export function openFiles(pid: number): number {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
    return n;
  } catch {
    return 0;
  }
}

/**
 * RSS in KiB once it has settled: five readings 250 ms apart within 1% of each other (at
 * most 15 s). A fresh Deno server peaks for a moment while it starts (ours: about 115 MiB
 * for a few hundred ms, then 85), so a reading taken at a fixed moment after the port opens
 * may land on either side and move the figure per idle client by KiB.
 */
export async function settledRssKiB(pid: number): Promise<number> {
  const readings = [rssKiB(pid)];
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 250));
    readings.push(rssKiB(pid));
    const last = readings.slice(-5);
    if (last.length === 5 && Math.max(...last) - Math.min(...last) < Math.min(...last) * 0.01) {
      return last[4];
    }
  }
  return readings[readings.length - 1];
}

/** User+system CPU time of a process in seconds (from /proc/<pid>/stat); 0 if unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is the state (field 3); utime and stime are fields 14 and 15
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

async function waitForPort(port: number, child: Deno.ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error("server exited during start");
    try {
      const c = await Deno.connect({ hostname: HOST, port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server did not accept connections on ${HOST}:${port} within ${ms} ms`);
}

/**
 * Spawns `argv` through bash, which first raises the soft open-files limit to the hard one
 * and then `exec`s the server, so the pid we hold is the server's own. Output goes to
 * `dir/server.log`.
 */
async function launch(
  name: TargetName,
  argv: string[],
  dir: string,
  port: number,
  keepDir = false,
  startMs = 20_000,
): Promise<RunningServer> {
  const log = `${dir}/server.log`;
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@" >"${log}" 2>&1`,
      "bench",
      ...argv,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  track(child);
  const removeDir = () => {
    if (!keepDir) Deno.removeSync(dir, { recursive: true });
  };
  const forget = onCleanup(removeDir);
  try {
    await waitForPort(port, child, startMs);
  } catch (e) {
    let tail = "";
    try {
      tail = Deno.readTextFileSync(log).slice(-2000);
    } catch { /* no log */ }
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    untrack(child);
    forget();
    removeDir();
    throw new Error(`${name}: ${(e as Error).message}\n${tail}`);
  }
  let stopped = false;
  return {
    name,
    pid: child.pid,
    host: HOST,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      untrack(child);
      forget();
      try {
        removeDir();
      } catch { /* best effort */ }
    },
  };
}

/** True if an executable is on PATH. */
export async function have(cmd: string): Promise<boolean> {
  const r = await new Deno.Command("bash", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
    .output();
  return r.success;
}

/**
 * Installs Debian packages if their binaries are missing (`apt-get update` first when the
 * plain install fails). Returns false (with a message) when that is impossible.
 */
export async function ensureDebian(pkgs: { pkg: string; bin: string }[]): Promise<boolean> {
  const missing: string[] = [];
  for (const p of pkgs) if (!(await have(p.bin))) missing.push(p.pkg);
  if (missing.length === 0) return true;
  console.error(`bench: installing ${missing.join(" ")} from Debian`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    new Deno.Command("apt-get", {
      args: ["install", "-y", "-qq", "--no-install-recommends", ...missing],
      env,
      stdout: "null",
      stderr: "inherit",
    }).output();
  let r = await install();
  if (!r.success) {
    await new Deno.Command("apt-get", { args: ["update", "-qq"], env, stdout: "null" }).output();
    r = await install();
  }
  if (!r.success) console.error(`bench: could not install ${missing.join(" ")}`);
  return r.success;
}

/**
 * Starts our server (server.ts, from `root`, by default this checkout or `setOurRoot`'s)
 * with its limits lifted through its documented flags.
 */
export async function startOurs(
  opts: StartOptions,
  root: string = ourRoot,
  name: TargetName = "ours",
): Promise<RunningServer> {
  const dir = await Deno.makeTempDir({ prefix: "bench-ours-" });
  const port = freePort();
  const limits = ourLimitFlags(opts.maxClients);
  const argv = [
    Deno.execPath(),
    "run",
    "-A",
    // the runtime flags `deno task start` and the binaries have (a variant's come after)
    ...SERVER_V8_FLAGS,
    ...(opts.denoFlags ?? []),
    `${root.replace(/\/?$/, "/")}server.ts`,
    "--host",
    HOST,
    "--port",
    String(port),
    "--data",
    `${dir}/data`,
    ...limits,
    ...(opts.serverArgs ?? []),
  ];
  return await launch(name, argv, dir, port, opts.keepDir);
}

/**
 * The `--limit name=value` flags that lift our server's flood and per-IP limits for the
 * bench; filled from `server.ts --help` (see README.md). Kept in one place.
 */
export function ourLimitFlags(maxClients: number): string[] {
  return ourLimits(maxClients).flatMap((l) => ["--limit", l]);
}

/** Reads the limit names our server's `--help` documents (cached). */
export async function loadOurLimitNames(): Promise<Set<string>> {
  if (ourLimitNames) return ourLimitNames;
  ourLimitNames = new Set();
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ourServerPath(), "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    // the limits table: "    name    default    description"
    for (const m of text.matchAll(/^\s{2,}([a-zA-Z][a-zA-Z0-9]*)\s+\d+\s/gm)) {
      ourLimitNames.add(m[1]);
    }
  } catch { /* no server yet */ }
  return ourLimitNames;
}

function ourLimits(maxClients: number): string[] {
  // flood control off, per-IP and total connection caps above the bench's client count;
  // everything else (sendQ, ping timing) stays at the server's defaults
  const wanted: Record<string, number> = {
    maxConnections: Math.max(maxClients, 20_000),
    maxPerIp: Math.max(maxClients, 20_000),
    floodBurst: 0,
    channelsPerUser: 100,
    // one port may hold every descriptor the bench's raised ulimit gives (default: 70 %)
    portDescriptorShare: 100,
  };
  // without the names every limit would silently stay at its default (flood control on,
  // 70 % of the descriptors per port): a bench of something else
  if (ourLimitNames === null) throw new Error("loadOurLimitNames() must run before startOurs()");
  const known = ourLimitNames;
  return Object.entries(wanted).filter(([k]) => known.has(k)).map(([k, v]) => `${k}=${v}`);
}

/** Starts ngircd with a bench config (no DNS/ident, no connection limits). */
export async function startNgircd(opts: StartOptions): Promise<RunningServer> {
  const dir = await Deno.makeTempDir({ prefix: "bench-ngircd-" });
  const port = freePort();
  const conf = `${dir}/ngircd.conf`;
  await Deno.writeTextFile(`${dir}/motd`, "bench\n");
  await Deno.writeTextFile(
    conf,
    `[Global]
Name = bench.ngircd
Info = bench
Listen = ${HOST}
Ports = ${port}
MotdFile = ${dir}/motd
PidFile = ${dir}/ngircd.pid
ServerUID = 0
ServerGID = 0

[Limits]
ConnectRetry = 60
IdleTimeout = 0
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxListSize = 100
PingTimeout = 600
PongTimeout = 600

[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
`,
  );
  return await launch("ngircd", ["ngircd", "-n", "-f", conf], dir, port, opts.keepDir);
}

/** Starts InspIRCd with a bench config (no DNS/ident, no flood or clone limits). */
export async function startInspircd(opts: StartOptions): Promise<RunningServer> {
  const dir = await Deno.makeTempDir({ prefix: "bench-inspircd-" });
  const port = freePort();
  const conf = `${dir}/inspircd.conf`;
  const big = Math.max(opts.maxClients * 2, 100_000);
  await Deno.writeTextFile(`${dir}/motd`, "bench\n");
  await Deno.writeTextFile(
    conf,
    `<server name="bench.inspircd" description="bench" network="Bench" id="0BN">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="${HOST}" port="${port}" type="clients">
<path configdir="${dir}" datadir="${dir}" logdir="${dir}" runtimedir="${dir}">
<connect name="bench" allow="*" timeout="60" pingfreq="600" threshold="${big}"
         commandrate="100000000" fakelag="no" hardsendq="4194304" softsendq="65536"
         recvq="65536" localmax="${big}" globalmax="${big}" limit="${big}"
         maxchans="100" useident="no" resolvehostnames="no" maxconnwarn="no">
<files motd="${dir}/motd">
<channels users="100" opers="100">
<dns timeout="1">
<pid file="${dir}/inspircd.pid">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" pingwarning="0">
<security hideserver="" userstats="Pu" maxtargets="20">
<performance quietbursts="yes" softlimit="${big}" somaxconn="4096" netbuffersize="10240"
             clonesonconnect="no" timeskipwarn="0" nouserdns="yes">
<whowas groupsize="0" maxgroups="0" maxkeep="0">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="10" maxquit="255" maxtopic="307"
        maxkick="255" maxreal="128" maxaway="200">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/ircd.log">
`,
  );
  return await launch(
    "inspircd",
    ["inspircd", "--nofork", "--runasroot", `--config=${conf}`],
    dir,
    port,
    opts.keepDir,
  );
}

/** Builds ergo offline with /work/shared/tools/ergo/build.sh; returns its binary or null. */
export async function buildErgo(): Promise<string | null> {
  const script = "/work/shared/tools/ergo/build.sh";
  try {
    await Deno.stat(script);
  } catch {
    return null;
  }
  const r = await new Deno.Command("bash", { args: [script], stdout: "piped", stderr: "null" })
    .output();
  if (!r.success) return null;
  const path = new TextDecoder().decode(r.stdout).trim().split("\n").pop() ?? "";
  return path || null;
}

/** Starts ergo (binary from {@link buildErgo}) with its default config, limits lifted. */
export async function startErgo(opts: StartOptions, bin: string): Promise<RunningServer> {
  const dir = await Deno.makeTempDir({ prefix: "bench-ergo-" });
  const port = freePort();
  const srcDir = bin.slice(0, bin.lastIndexOf("/"));
  let yaml = await Deno.readTextFile(`${srcDir}/default.yaml`);
  // only our port on 127.0.0.1, no TLS, no websocket
  yaml = yamlSet(yaml, ["server", "listeners"], null, [`"${HOST}:${port}": {}`]);
  yaml = yamlSet(yaml, ["server", "motd"], '""');
  yaml = yamlSet(yaml, ["server", "lookup-hostnames"], "false");
  yaml = yamlSet(yaml, ["server", "ip-cloaking", "enabled"], "false");
  yaml = yamlSet(yaml, ["server", "max-sendq"], "4M");
  // per-IP connection limits and throttle, fakelag (flood control)
  yaml = yamlSet(yaml, ["server", "ip-limits", "count"], "false");
  yaml = yamlSet(yaml, ["server", "ip-limits", "throttle"], "false");
  yaml = yamlSet(yaml, ["fakelag", "enabled"], "false");
  yaml = yamlSet(yaml, ["accounts", "nick-reservation", "enabled"], "false");
  yaml = yamlSet(yaml, ["history", "enabled"], "false");
  yaml = yamlSet(yaml, ["datastore", "path"], `${dir}/ircd.db`);
  yaml = yamlSet(yaml, ["languages", "enabled"], "false");
  await Deno.writeTextFile(`${dir}/ircd.yaml`, yaml);
  const init = await new Deno.Command(bin, {
    args: ["initdb", "--conf", `${dir}/ircd.yaml`, "--quiet"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!init.success) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(`ergo initdb: ${new TextDecoder().decode(init.stderr).slice(-500)}`);
  }
  return await launch("ergo", [bin, "run", "--conf", `${dir}/ircd.yaml`], dir, port, opts.keepDir);
}

/**
 * Sets one key of an indentation-structured YAML text (ergo's commented default config)
 * without a YAML library: `value` replaces the scalar after `key:`; `children`, when given,
 * replaces the key's whole nested block. Throws if the path is missing.
 *
 * @example
 * ```ts
 * import { yamlSet } from "./servers.ts";
 * yamlSet("a:\n    b: 1\n", ["a", "b"], "2"); // "a:\n    b: 2\n"
 * ```
 */
export function yamlSet(
  text: string,
  path: string[],
  value: string | null,
  children?: string[],
): string {
  const lines = text.split("\n");
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const isContent = (l: string) => l.trim() !== "" && !l.trimStart().startsWith("#");
  let from = 0, to = lines.length, parentIndent = -1, at = -1;
  for (const key of path) {
    at = -1;
    for (let i = from; i < to; i++) {
      const l = lines[i];
      if (!isContent(l)) continue;
      const ind = indentOf(l);
      if (ind <= parentIndent) break;
      if (l.trimStart().startsWith(`${key}:`)) {
        at = i;
        break;
      }
    }
    if (at === -1) throw new Error(`yaml key ${path.join(".")} not found`);
    parentIndent = indentOf(lines[at]);
    from = at + 1;
    to = from;
    while (to < lines.length && (!isContent(lines[to]) || indentOf(lines[to]) > parentIndent)) to++;
  }
  const pad = " ".repeat(parentIndent);
  const key = path[path.length - 1];
  if (value !== null) lines[at] = `${pad}${key}: ${value}`;
  if (children) {
    lines.splice(from, to - from, ...children.map((c) => `${pad}    ${c}`), "");
  }
  return lines.join("\n");
}
