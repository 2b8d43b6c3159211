/**
 * Starts the real server (`server.ts`) as a child process on 127.0.0.1 and a free port,
 * with a temporary data folder, and stops it again.
 *
 * @module
 */

import { freePort } from "./wait.ts";

const ROOT = new URL("../../", import.meta.url);

/** A running server process. */
export interface RunningServer {
  port: number;
  /** The web chat's HTTP port (0 unless started with `web: true`). */
  httpPort: number;
  /** The IRC-over-TLS port (0 unless started with `tls` or `tlsPort`). */
  tlsPort: number;
  /** The TLS certificate's SHA-256 fingerprint as printed (`AB:CD:…`), or "". */
  fingerprint: string;
  dataDir: string;
  process: Deno.ChildProcess;
  /** Lines the server printed on stdout so far. */
  output: string[];
  /** Sends SIGINT and waits for exit; returns the exit code. */
  stop(): Promise<number>;
  /** Waits (bounded) until a printed line matches; returns it. */
  waitForOutput(pattern: RegExp, ms?: number): Promise<string>;
}

/** Options for {@link startServer}. */
export interface StartOptions {
  /** Use this data folder (e.g. to restart on the same data); it is not removed at stop. */
  dataDir?: string;
  /** The IRC port to listen on (default 0: any free port). */
  port?: number;
  /**
   * Also serve the web chat, on a free port (default off: `--http-port 0`, so parallel
   * tests never contend for the default 8080).
   */
  web?: boolean;
  /**
   * Also serve IRC over TLS on a free port (default off: `--tls-port 0`, so parallel tests
   * never contend for the default 6697).
   */
  tls?: boolean;
  /** Serve IRC over TLS on this port (e.g. to restart on the same one). */
  tlsPort?: number;
  /**
   * Grant the FFI permission, as `deno task start` does, so plain TCP output takes the
   * direct-send path (default true); false runs the server on Deno's ordinary writes.
   */
  ffi?: boolean;
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
  // a free port picked here may be taken before the server binds it; the server then exits
  // at start and we try another
  for (let attempt = 1;; attempt++) {
    const httpPort = options.web ? freePort() : 0;
    const tlsPort = options.tlsPort ?? (options.tls ? freePort() : 0);
    const picked = options.web || (options.tls && options.tlsPort === undefined);
    try {
      return await launch(extra, limits, options, dataDir, httpPort, tlsPort);
    } catch (err) {
      if (!picked || attempt >= 5 || !/exited at start/.test((err as Error).message)) {
        if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
        throw err;
      }
    }
  }
}

async function launch(
  extra: string[],
  limits: string[],
  options: StartOptions,
  dataDir: string,
  wantHttpPort: number,
  wantTlsPort: number,
): Promise<RunningServer> {
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    ...(options.ffi === false ? [] : ["--allow-ffi"]),
    new URL("server.ts", ROOT).pathname,
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port ?? 0),
    "--data",
    dataDir,
    "--http-port",
    String(wantHttpPort),
    "--tls-port",
    String(wantTlsPort),
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
  let httpPort = 0;
  let tlsPort = 0;
  let fingerprint = "";
  const deadline = Date.now() + 20000;
  while (
    port === 0 || (wantHttpPort !== 0 && httpPort === 0) ||
    (wantTlsPort !== 0 && (tlsPort === 0 || fingerprint === ""))
  ) {
    if (Date.now() > deadline) throw new Error("server did not start: " + output.join("\n"));
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited at start: " + output.join("\n"));
    buf += value;
    let i;
    while ((i = buf.indexOf("\n")) !== -1) {
      const printed = buf.slice(0, i);
      buf = buf.slice(i + 1);
      output.push(printed);
      // with --log-format json each start-up line is the `text` of a JSON object
      const line = printed.startsWith("{") ? jsonText(printed) : printed;
      const web = line.match(/^web chat listening on 127\.0\.0\.1:(\d+)/);
      if (web) httpPort = Number(web[1]);
      const m = line.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m && !web) port = Number(m[1]);
      const tls = line.match(/^TLS on 127\.0\.0\.1:(\d+)/);
      if (tls) tlsPort = Number(tls[1]);
      const fp = line.match(/^TLS certificate SHA-256 fingerprint: ([0-9A-F:]+)/);
      if (fp) fingerprint = fp[1];
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
    httpPort,
    tlsPort,
    fingerprint,
    dataDir,
    process,
    output,
    async waitForOutput(pattern: RegExp, ms = 10000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const line = output.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) {
          throw new Error(`server never printed ${pattern}:\n${output.join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
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
        // On Windows a parent cannot send Ctrl+C: Deno's kill("SIGINT") terminates the child
        // (exit code 1, no handler runs). Report the stop as clean there so tests still check
        // everything else; the real Ctrl+C path on Windows is tested under Wine (tests/windows).
        if (Deno.build.os === "windows") return 0;
        return status.code;
      })();
      return stopped;
    },
  };
}

/** The `text` of a JSON log line (`--log-format json`), or "" when it has none. */
function jsonText(line: string): string {
  try {
    const text = JSON.parse(line).text;
    return typeof text === "string" ? text : "";
  } catch {
    return line;
  }
}
