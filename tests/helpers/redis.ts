/**
 * Starts a throw-away `redis-server` (Debian's package) for tests: on 127.0.0.1 and a free
 * port, its files in a temporary folder, append-only file on by default; can be killed with
 * SIGKILL and started again on the same port and data, as a crash and a restart would.
 *
 * @module
 */

/** A running test Redis. */
export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Kills it at once (SIGKILL); its data folder stays for `start()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** Whether Debian's `redis-server` is installed. */
export function haveRedis(): boolean {
  try {
    Deno.statSync("/usr/bin/redis-server");
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits (bounded) until something accepts TCP connections on the port. */
async function waitListening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not listen within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Starts `redis-server`.
 *
 * @example
 * ```ts ignore
 * const redis = await startRedis();
 * // ... createClient({ url: redis.url }) ...
 * await redis.stop();
 * ```
 */
export async function startRedis(options: { aof?: boolean } = {}): Promise<TestRedis> {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("/usr/bin/redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.aof === false ? "no" : "yes",
        "--appendfsync",
        "everysec",
        "--protected-mode",
        "no",
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    await waitListening(port, 10_000);
  };
  const halt = async (signal: Deno.Signal) => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      c.kill(signal);
    } catch {
      // already gone
    }
    await c.status;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => halt("SIGKILL"),
    start,
    async stop() {
      await halt("SIGTERM");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
