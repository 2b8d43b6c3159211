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
  installSignalHandlers();
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

/** A process as /proc shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** The command name (`comm`, at most 15 characters). */
  comm: string;
  /** The command line, arguments joined by spaces (a server may have rewritten it). */
  cmdline: string;
}

/**
 * Every live descendant of process `root` (default: this one), read from /proc (Linux):
 * how the bench finds the processes a helper started for it without handing out their
 * ids, e.g. PostgreSQL's server under `runuser`, and the backends it forked.
 */
export function descendants(root: number = Deno.pid): ProcInfo[] {
  const all: ProcInfo[] = [];
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const close = stat.lastIndexOf(")");
        const ppid = Number(stat.slice(close + 2).split(" ")[1]);
        const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`)
          .split("\0").filter(Boolean).join(" ");
        all.push({
          pid: Number(e.name),
          ppid,
          comm: stat.slice(stat.indexOf("(") + 1, close),
          cmdline,
        });
      } catch { /* ended meanwhile */ }
    }
  } catch {
    return []; // no /proc
  }
  const out: ProcInfo[] = [];
  const parents = new Set([root]);
  // parents come before children in no particular order: sweep until nothing is added
  for (let grew = true, rounds = 0; grew && rounds < 64; rounds++) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}
