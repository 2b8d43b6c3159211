/**
 * The orchestrator's side of the load-generator workers: spawns `n` worker processes
 * (separate processes, so each gets its own file-descriptor limit and CPU), sends them
 * commands and gathers replies.
 *
 * @module
 */

import type { WorkerCommand, WorkerReply } from "./protocol.ts";
import { track, untrack } from "./procs.ts";

/** Distributive Omit, so each command keeps its own fields once `id` is removed. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** One worker process. */
class WorkerProc {
  readonly child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  #dead: Error | null = null;
  readonly done: Promise<void>;

  constructor(readonly index: number) {
    const url = new URL("./worker.ts", import.meta.url);
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-net=127.0.0.1", url.pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    track(this.child);
    this.#writer = this.child.stdin.getWriter();
    this.done = this.#readReplies();
  }

  async #readReplies(): Promise<void> {
    let buffered = "";
    try {
      for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const r = JSON.parse(line) as WorkerReply;
          const w = this.#waiting.get(r.id);
          if (!w) continue;
          this.#waiting.delete(r.id);
          if (r.ok) w.resolve(r.result);
          else w.reject(new Error(`worker ${this.index}: ${r.error}`));
        }
      }
    } catch (e) {
      this.#dead = e as Error;
    }
    this.#dead ??= new Error(`worker ${this.index} exited`);
    for (const w of this.#waiting.values()) w.reject(this.#dead);
    this.#waiting.clear();
  }

  /** Sends one command and waits for its reply. */
  async call<T>(cmd: WithoutId<WorkerCommand>): Promise<T> {
    if (this.#dead) throw this.#dead;
    const id = this.#nextId++;
    const p = new Promise<unknown>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    await this.#writer.write(new TextEncoder().encode(JSON.stringify({ ...cmd, id }) + "\n"));
    return (await p) as T;
  }

  /** Closes stdin (the worker then exits), and kills it if it lingers. */
  async stop(): Promise<void> {
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await this.child.status;
    clearTimeout(timer);
    await this.done;
    untrack(this.child);
  }
}

/** A set of worker processes addressed together. */
export class WorkerPool {
  readonly workers: WorkerProc[];

  /** Spawns `n` workers. */
  constructor(n: number) {
    this.workers = Array.from({ length: n }, (_, i) => new WorkerProc(i));
  }

  /** Process ids of the workers (for their CPU time). */
  get pids(): number[] {
    return this.workers.map((w) => w.child.pid);
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Sends a per-worker command (built by `make`) to every worker; resolves all replies. */
  all<T>(make: (w: number) => WithoutId<WorkerCommand>): Promise<T[]> {
    return Promise.all(this.workers.map((w, i) => w.call<T>(make(i))));
  }

  /** Stops every worker. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

/** Splits `total` into `parts` near-equal integer shares, first ones larger. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}
