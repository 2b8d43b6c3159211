import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { acceptLoop, DescriptorBudget, releaseOnClose } from "../../lib/transport/accept.ts";

/** A listener whose accept() follows a script: an error to throw, or a connection. */
function scripted(steps: (Error | { id: number })[]) {
  const closed: number[] = [];
  let i = 0;
  return {
    closed,
    accept(): Promise<{ id: number; close(): void }> {
      const step = steps[i++];
      if (step === undefined) return Promise.reject(new Deno.errors.BadResource("closed"));
      if (step instanceof Error) return Promise.reject(step);
      return Promise.resolve({ id: step.id, close: () => closed.push(step.id) });
    },
  };
}

Deno.test("acceptLoop() goes on accepting after EMFILE, and ends when the listener closes", async () => {
  const emfile = () => new Error("Too many open files (os error 24)");
  const listener = scripted([{ id: 1 }, emfile(), emfile(), emfile(), { id: 2 }]);
  const got: number[] = [];
  const log: string[] = [];
  const started = Date.now();
  await acceptLoop(listener, (c) => got.push(c.id), { log: (l) => log.push(l) });
  assertEquals(got, [1, 2]);
  // backed off 10 + 20 + 40 ms, and said so once (one line a second at most)
  ok(Date.now() - started >= 60);
  assertEquals(log, ["accept failed: Too many open files (os error 24); trying again in 10 ms"]);
});

Deno.test("acceptLoop() closes a connection over its port's share and gives the slot back on close", async () => {
  const budget = new DescriptorBudget(10, 4, 50); // 6 for sockets, 3 per port
  const port = budget.port("p");
  const listener = scripted([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
  const kept: { id: number; close(): void }[] = [];
  await acceptLoop(listener, (c) => kept.push(c), { budget: port, cost: 1 });
  assertEquals(kept.map((c) => c.id), [1, 2, 3]);
  assertEquals(listener.closed, [4]);
  assertEquals(port.inUse, 3);
  kept[0].close();
  kept[0].close();
  assertEquals(port.inUse, 2);
  // the whole process's budget bounds all ports together
  const other = budget.port("q");
  ok(other.tryAcquire(3));
  assertEquals(other.tryAcquire(), false);
  assertEquals(budget.inUse, 5);
});

Deno.test("releaseOnClose() releases even when the close itself throws", () => {
  let released = 0;
  const conn = releaseOnClose({
    close() {
      throw new Deno.errors.BadResource("gone");
    },
  }, () => released++);
  try {
    conn.close();
  } catch {
    // the caller sees the error as before
  }
  assertEquals(released, 1);
});
