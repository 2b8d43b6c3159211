/**
 * Every child process the bench starts is tracked here, so that a normal end, an error or
 * Ctrl-C (SIGINT/SIGTERM) stops all of them: servers and generator workers alike.
 *
 * @module
 */

const children = new Set<Deno.ChildProcess>();
const cleanups = new Set<() => void>();
let installed = false;

/** Remembers a child process to be killed on exit. */
export function track(child: Deno.ChildProcess): void {
  children.add(child);
  installSignalHandlers();
}

/** Forgets a child process that has been stopped. */
export function untrack(child: Deno.ChildProcess): void {
  children.delete(child);
}

/** Registers a synchronous cleanup (e.g. removing a temp dir) run by {@link killAll}. */
export function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Kills every tracked child (SIGKILL) and runs the cleanups. Synchronous, idempotent. */
export function killAll(): void {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
  }
  children.clear();
  for (const fn of cleanups) {
    try {
      fn();
    } catch { /* best effort */ }
  }
  cleanups.clear();
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(sig, () => {
      console.error(`\nbench: ${sig}, stopping everything`);
      killAll();
      Deno.exit(130);
    });
  }
  globalThis.addEventListener("unload", () => killAll());
}
