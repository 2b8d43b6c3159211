/**
 * Starts a throw-away PostgreSQL (Debian's `postgresql` package) for tests: its own cluster in
 * a temporary folder, on 127.0.0.1 and a free port, trust authentication for user `chat`,
 * and stops and removes it again. Durability is as in production for a killed server (commits
 * are written to the WAL before they are acknowledged; only fsync is off, which matters
 * for the machine losing power, not for `kill()`). Run as root (as CI does), the server runs as the
 * `postgres` system user, since PostgreSQL refuses to run as root.
 *
 * @module
 */

/** A running test PostgreSQL. */
export interface TestPostgres {
  port: number;
  /** `postgres://chat@127.0.0.1:PORT/DB` for a fresh database of this cluster. */
  newDatabase(): Promise<string>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would; the folder stays for `start`. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after `kill`). */
  start(): Promise<void>;
}

const BIN_DIRS = [
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

/** The folder with `initdb` and `postgres`, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  for (const dir of BIN_DIRS) {
    try {
      Deno.statSync(`${dir}/initdb`);
      return dir;
    } catch {
      // not this version
    }
  }
  return undefined;
}

const isRoot = Deno.uid?.() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when we are root. */
function command(bin: string, args: string[]): Deno.Command {
  return isRoot
    ? new Deno.Command("runuser", {
      args: ["-u", "postgres", "--", bin, ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" });
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Creates a cluster and starts it; resolves once it accepts connections (bounded: 20 s).
 *
 * @example
 * ```ts ignore
 * const pg = await startPostgres();
 * const url = await pg.newDatabase();
 * await pg.stop();
 * ```
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-pg-" });
  if (isRoot) await new Deno.Command("chown", { args: ["postgres", dir] }).output();
  const data = `${dir}/data`;
  const init = await command(`${bin}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "chat",
    "--no-sync",
    "-E",
    "UTF8",
  ]).output();
  if (!init.success) {
    throw new Error(`initdb failed: ${new TextDecoder().decode(init.stderr)}`);
  }
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  let databases = 0;

  const start = async (): Promise<void> => {
    child = command(`${bin}/postgres`, [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
    ]).spawn();
    // drain its output so the pipe never fills
    child.stdout.cancel();
    child.stderr.pipeTo(new WritableStream()).catch(() => {});
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await command(`${bin}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port)])
        .output();
      if (ready.success) return;
      if (Date.now() > deadline) throw new Error("PostgreSQL did not start within 20 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  // the signal goes to the postmaster itself (its pid file), not to runuser, which would
  // not pass SIGKILL on and would leave the server running
  const halt = async (signal: Deno.Signal): Promise<void> => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      const pid = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
      // a SIGKILL of the postmaster alone leaves its backends running for a moment, still
      // answering the connections they hold: a crash takes them too (found before the
      // postmaster is gone, as its children are reparented then)
      const backends = signal === "SIGKILL" ? await childrenOf(pid) : [];
      Deno.kill(pid, signal);
      for (const b of backends) {
        try {
          Deno.kill(b, signal);
        } catch {
          // already gone
        }
      }
    } catch {
      c.kill(signal);
    }
    await c.status;
  };

  await start();
  return {
    port,
    async newDatabase() {
      const name = `t${++databases}`;
      const made = await command(`${bin}/createdb`, [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "chat",
        name,
      ]).output();
      if (!made.success) {
        throw new Error(`createdb failed: ${new TextDecoder().decode(made.stderr)}`);
      }
      return `postgres://chat@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await halt("SIGINT");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    kill: () => halt("SIGKILL"),
    start,
  };
}

/** The pids of a process's children (Linux: from /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
