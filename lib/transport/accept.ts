/**
 * The accept loop every listener uses (IRC plain text, IRC over TLS, the web port), and the
 * descriptor budget they share.
 *
 * Why: a process has a fixed number of file descriptors. When a flood on one port used them
 * all, `accept()` failed with "Too many open files" and the web listener never accepted again;
 * the store could not open a file either. So every accepted socket takes a slot from one
 * budget for the whole process; each port may hold only a share of it, and a reserve is never
 * handed to any port (the store, logs and the other ports' accepts need it). A connection
 * beyond its port's share is closed at once, which frees its descriptor and tells the peer,
 * instead of leaving it waiting in the kernel's backlog. An `accept()` that fails anyway
 * (EMFILE, ENFILE, ENOBUFS) backs off and tries again: the loop only ends when its listener
 * is closed.
 *
 * @module
 */

/** What {@link acceptLoop} needs from a listener (`Deno.Listener` has it). */
export interface Acceptor<C> {
  accept(): Promise<C>;
}

/** One port's part of a {@link DescriptorBudget}. */
export interface PortBudget {
  /** Takes `n` slots (default 1); false when this port or the process has not that many left. */
  tryAcquire(n?: number): boolean;
  /** Gives `n` slots back (default 1). */
  release(n?: number): void;
  /** Slots this port holds now. */
  readonly inUse: number;
  /** Most slots this port may hold. */
  readonly cap: number;
}

/**
 * Descriptors for sockets, shared by every listener of the process.
 *
 * @example
 * ```ts
 * import { DescriptorBudget } from "./accept.ts";
 * import { strictEqual } from "node:assert/strict";
 * const budget = new DescriptorBudget(100, 20, 50); // 80 for sockets, 40 per port
 * const web = budget.port("web");
 * let n = 0;
 * while (web.tryAcquire()) n++;
 * strictEqual(n, 40);
 * strictEqual(budget.port("irc").tryAcquire(), true); // the other port still gets its share
 * ```
 */
export class DescriptorBudget {
  /** Descriptors sockets may hold in total (the process limit less the reserve). */
  readonly total: number;
  /** Most one port may hold. */
  readonly perPort: number;
  #inUse = 0;
  readonly #ports = new Map<string, PortBudget>();

  /**
   * @param limit the process's descriptor limit
   * @param reserve descriptors never given to sockets
   * @param sharePercent the percentage of the rest one port may hold
   */
  constructor(limit: number, reserve: number, sharePercent: number) {
    this.total = Math.max(1, Math.floor(limit - reserve));
    this.perPort = Math.max(1, Math.floor(this.total * Math.min(100, sharePercent) / 100));
  }

  /** Sockets held by every port together. */
  get inUse(): number {
    return this.#inUse;
  }

  /** The budget of one port (the same object for the same name). */
  port(name: string): PortBudget {
    let port = this.#ports.get(name);
    if (port) return port;
    let held = 0;
    // deno-lint-ignore no-this-alias
    const budget = this;
    port = {
      tryAcquire: (n = 1) => {
        if (held + n > this.perPort || this.#inUse + n > this.total) return false;
        held += n;
        this.#inUse += n;
        return true;
      },
      release: (n = 1) => {
        const k = Math.min(n, held);
        held -= k;
        this.#inUse -= k;
      },
      get inUse() {
        return held;
      },
      get cap() {
        return budget.perPort;
      },
    };
    this.#ports.set(name, port);
    return port;
  }
}

/**
 * The soft limit on open files of this process (`ulimit -n`), or undefined where it cannot
 * be learnt. It is asked of libc's `getrlimit` when the process already holds the FFI
 * permission (as the server does on Linux; querying never prompts); Deno lets only a process
 * with every permission read `/proc/self/limits`, so that is the second way.
 *
 * @example
 * ```ts
 * import { openFileLimit } from "./accept.ts";
 * const limit = openFileLimit(); // e.g. 1024, or undefined
 * ```
 */
export function openFileLimit(): number | undefined {
  return rlimitByFfi() ?? rlimitByProc();
}

function rlimitByFfi(): number | undefined {
  const os = Deno.build.os;
  if (os !== "linux" && os !== "darwin") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
    const lib = Deno.dlopen(os === "linux" ? "libc.so.6" : "libSystem.dylib", {
      getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    });
    try {
      // struct rlimit { rlim_t rlim_cur, rlim_max }: two 64-bit values on both systems
      const out = new BigUint64Array(2);
      const RLIMIT_NOFILE = os === "linux" ? 7 : 8;
      if (lib.symbols.getrlimit(RLIMIT_NOFILE, out) !== 0) return undefined;
      const soft = out[0];
      return soft > 0n && soft < 1n << 40n ? Number(soft) : undefined;
    } finally {
      lib.close();
    }
  } catch {
    return undefined;
  }
}

function rlimitByProc(): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = text.match(/^Max open files\s+(\d+|unlimited)/m);
    if (!m || m[1] === "unlimited") return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The limits the process-wide budget is built from (a subset of the server's `Limits`). */
export interface BudgetLimits {
  /** Descriptors for the process (0 = the process's open-files limit). */
  maxDescriptors: number;
  /** Descriptors kept free for the store and the other ports. */
  descriptorReserve: number;
  /** Percentage of the socket descriptors one port may hold. */
  portDescriptorShare: number;
}

/**
 * Where the open-files limit cannot be learnt. Windows has no such limit for sockets; on a
 * Unix system without the FFI permission the accept loop's back-off is what is left.
 */
const FALLBACK_DESCRIPTORS = 16384;

let shared: DescriptorBudget | undefined;

/**
 * The budget every listener of this process shares, made on first use from `limits` (the
 * descriptor limit is per process, so there is one budget however many servers run).
 *
 * @example
 * ```ts
 * import { sharedDescriptorBudget } from "./accept.ts";
 * const budget = sharedDescriptorBudget({
 *   maxDescriptors: 0,
 *   descriptorReserve: 64,
 *   portDescriptorShare: 70,
 * });
 * budget.port("irc").cap > 0; // true
 * ```
 */
export function sharedDescriptorBudget(limits: BudgetLimits): DescriptorBudget {
  shared ??= new DescriptorBudget(
    limits.maxDescriptors || openFileLimit() || FALLBACK_DESCRIPTORS,
    limits.descriptorReserve,
    limits.portDescriptorShare,
  );
  return shared;
}

/** Options of {@link acceptLoop}. */
export interface AcceptLoopOptions {
  /** The port's share of the descriptor budget; connections beyond it are closed at once. */
  budget?: PortBudget;
  /** Descriptors one connection costs (3 on a TLS port: the socket and its relay). */
  cost?: number;
  /** True once the owner is shutting down: errors then end the loop quietly. */
  stopped?: () => boolean;
  /** Receives one line per failed accept (rate-limited to one a second). */
  log?: (line: string) => void;
}

const BACKOFF_FIRST_MS = 10;
const BACKOFF_MAX_MS = 1000;

/**
 * Gives a connection a `close()` that also returns its budget slot, once, however often it is
 * called. The slot must follow the descriptor: it is free only once the socket is closed.
 *
 * @example
 * ```ts
 * import { releaseOnClose } from "./accept.ts";
 * let released = 0;
 * const conn = releaseOnClose({ close() {} }, () => released++);
 * conn.close();
 * conn.close();
 * released; // 1
 * ```
 */
export function releaseOnClose<C extends { close(): void }>(conn: C, release: () => void): C {
  const close = conn.close.bind(conn);
  let done = false;
  // an own property, so the object keeps its class (and the symbols Deno keeps on it)
  Object.defineProperty(conn, "close", {
    configurable: true,
    value: () => {
      try {
        close();
      } finally {
        if (!done) {
          done = true;
          release();
        }
      }
    },
  });
  return conn;
}

/**
 * Accepts connections until the listener is closed, handing each to `onConn` with its budget
 * slot already tied to its `close()`. Survives a full descriptor table: a failed accept waits
 * (10 ms, doubling to 1 s) and tries again, so the port comes back by itself once descriptors
 * are free. Resolves when the listener is closed.
 *
 * @example
 * ```ts
 * import { acceptLoop, DescriptorBudget } from "./accept.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const budget = new DescriptorBudget(100, 0, 100).port("test");
 * const done = acceptLoop(listener, (conn) => conn.close(), { budget });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await client.read(new Uint8Array(1)); // null: the server closed it
 * client.close();
 * listener.close();
 * await done;
 * ```
 */
export async function acceptLoop<C extends { close(): void }>(
  listener: Acceptor<C>,
  onConn: (conn: C) => void,
  options: AcceptLoopOptions = {},
): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  let backoff = BACKOFF_FIRST_MS;
  let lastLog = 0;
  for (;;) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (
        options.stopped?.() || err instanceof Deno.errors.BadResource ||
        err instanceof Deno.errors.Interrupted
      ) return;
      const now = Date.now();
      if (now - lastLog >= 1000) {
        lastLog = now;
        log(`accept failed: ${(err as Error).message}; trying again in ${backoff} ms`);
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      continue;
    }
    backoff = BACKOFF_FIRST_MS;
    const budget = options.budget;
    const cost = options.cost ?? 1;
    if (budget && !budget.tryAcquire(cost)) {
      // over this port's share: the descriptor is given back at once
      try {
        conn.close();
      } catch {
        // already gone
      }
      continue;
    }
    try {
      onConn(budget ? releaseOnClose(conn, () => budget.release(cost)) : conn);
    } catch (err) {
      log(`a new connection could not be set up: ${(err as Error).message}`);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
}
