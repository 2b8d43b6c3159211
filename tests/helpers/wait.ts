/**
 * Waiting with a deadline, and a free port, for tests of every kind.
 *
 * @module
 */

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with
 * `what` in the message). Each poll waits for `intervalMs`.
 *
 * @example
 * ```ts
 * import { waitFor } from "./wait.ts";
 * let n = 0;
 * await waitFor("n to reach 3", () => ++n >= 3, 1000, 1);
 * ```
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A port that was free a moment ago on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./wait.ts";
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}
