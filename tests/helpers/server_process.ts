/**
 * Starts the real server (`server.ts`) as a child process on 127.0.0.1 and a free port,
 * with a temporary data folder, and stops it again.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** A running server process. */
export interface RunningServer {
  port: number;
  dataDir: string;
  process: Deno.ChildProcess;
  /** Lines the server printed on stdout so far. */
  output: string[];
  /** Sends SIGINT and waits for exit; returns the exit code. */
  stop(): Promise<number>;
}

/** Options for {@link startServer}. */
export interface StartOptions {
  /** Use this data folder (e.g. to restart on the same data); it is not removed at stop. */
  dataDir?: string;
  /** The IRC port to listen on (default 0: any free port). */
  port?: number;
}

/** Lifts flood control so tests run at full speed unless they test it. */
export const TEST_LIMITS = ["floodBurst=0"];

/**
 * Starts `server.ts --host 127.0.0.1 --port 0` with extra flags and waits for it to listen.
 *
 * @example
 * ```ts ignore
 * const server = await startServer(["--limit", "pingInterval=1"]);
 * // ... connect to server.port ...
 * await server.stop();
 * ```
 */
export async function startServer(
  extra: string[] = [],
  limits = TEST_LIMITS,
  options: StartOptions = {},
): Promise<RunningServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "deno-chat-test-" });
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    new URL("server.ts", ROOT).pathname,
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port ?? 0),
    "--data",
    dataDir,
    ...limits.flatMap((l) => ["--limit", l]),
    ...extra,
  ];
  const process = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const output: string[] = [];
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let port = 0;
  const deadline = Date.now() + 20000;
  while (port === 0) {
    if (Date.now() > deadline) throw new Error("server did not start: " + output.join("\n"));
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited at start: " + output.join("\n"));
    buf += value;
    let i;
    while ((i = buf.indexOf("\n")) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      output.push(line);
      const m = line.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) port = Number(m[1]);
    }
  }
  // keep draining stdout so the child never blocks on a full pipe
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        output.push(...value.split("\n").filter((l) => l !== ""));
      }
    } catch {
      // process gone
    }
  })();
  let stopped: Promise<number> | undefined;
  return {
    port,
    dataDir,
    process,
    output,
    stop() {
      stopped ??= (async () => {
        try {
          process.kill("SIGINT");
        } catch {
          // already exited
        }
        const timer = setTimeout(() => {
          try {
            process.kill("SIGKILL");
          } catch {
            // exited meanwhile
          }
        }, 10000);
        const status = await process.status;
        clearTimeout(timer);
        if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
        return status.code;
      })();
      return stopped;
    },
  };
}
