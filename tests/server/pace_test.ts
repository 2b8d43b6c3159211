import { equal } from "node:assert/strict";
import { FanoutPace } from "../../lib/server/pace.ts";

/** A pace on a clock the test moves: `wall` and `cpu` in ms. */
function paced(windowMs = 100, quietMs = 1000) {
  const clock = { wall: 0, cpuMs: 0 as number | undefined };
  const pace = new FanoutPace(
    20,
    { now: () => clock.wall, cpu: () => clock.cpuMs },
    windowMs,
    quietMs,
  );
  /** `n` starts `every` ms apart, each costing `cost` ms of CPU; returns the last wait. */
  const run = (n: number, every: number, cost: number, share = 0.5): number => {
    let wait = 0;
    for (let i = 0; i < n; i++) {
      clock.wall += every;
      wait = pace.started(clock.wall, share) - clock.wall;
      if (clock.cpuMs !== undefined) clock.cpuMs += cost;
    }
    return wait;
  };
  return { clock, pace, run };
}

Deno.test("the wait is the measured CPU per start over the share", () => {
  const { run, pace } = paced();
  equal(run(1, 10, 3), 0, "nothing measured: no wait");
  // 100 ms of starts at 3 ms each
  equal(run(10, 10, 3), 6);
  equal(pace.costMs, 3);
  equal(run(1, 10, 3, 0.75), 4, "another share, another wait");
});

Deno.test("the cost is an average over windows, and the wait has a ceiling", () => {
  const { run } = paced();
  run(11, 10, 2);
  // the next window holds one start at 2 ms and nine at 6 (5.6 each): averaged with the
  // last window's 2, 3.8 ms, so a wait of 7.6
  equal(Math.round(run(10, 10, 6) * 10) / 10, 7.6);
  // a start that cost a second of CPU (a long pause) does not hold the next ones for long
  equal(run(10, 10, 1000), 20);
});

Deno.test("after a quiet spell the pace starts over with no wait", () => {
  const { run, clock, pace } = paced();
  run(11, 10, 5);
  equal(pace.costMs, 5);
  clock.wall += 5_000;
  equal(run(1, 0, 5), 0);
  equal(pace.costMs, 0);
});

Deno.test("without a CPU clock nothing ever waits", () => {
  const { run, clock } = paced();
  clock.cpuMs = undefined;
  equal(run(50, 10, 5), 0);
});
