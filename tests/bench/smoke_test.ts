import { assert, assertEquals } from "./assert.ts";
import { postgresBinDir } from "../helpers/postgres.ts";
import { haveRedis } from "../helpers/redis.ts";

const main = new URL("../../bench/main.ts", import.meta.url).pathname;

/** Whether `cmd` is installed; false where there is no bash to ask (Windows). */
async function onPath(cmd: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("bash", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "bench/main.ts drives a small fan-out against ngircd with nothing lost",
  ignore: !(await onPath("ngircd")),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-smoke-" });
    try {
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          main,
          "--targets=ngircd",
          "--scenarios=fanout,idle",
          "--idle-n=20",
          "--fanout-members=20",
          "--fanout-rates=10",
          "--duration=1",
          "--workers=2",
          "--quiet",
          `--out=${out}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(r.stdout);
      assertEquals(r.code, 0);
      assert(text.includes("fan-out 20 @10/s"), text);
      const json = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
      const ng = json.results[0];
      assertEquals(ng.idle[0].registered, 20);
      const p = ng.fanout.points[0];
      assert(p.sent > 0, "nothing sent");
      assertEquals(p.received, p.expected);
      assertEquals(p.expected, p.sent * 19);
      assert((await Deno.readTextFile(`${out}/latest.md`)).startsWith("| scenario |"));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("bench/write_path.ts measures both output paths over real sockets", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../bench/write_path.ts", import.meta.url).pathname,
      "--conns=20",
      "--rounds=5",
      "--passes=1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout);
  assert(r.code === 0, new TextDecoder().decode(r.stderr));
  assert(/^conn\.write +[\d,]+ writes\/s$/m.test(text), text);
  if (Deno.build.os === "linux") assert(/^direct send +[\d,]+ writes\/s$/m.test(text), text);
  assert(!text.includes("short"), text);
});

Deno.test({
  name: "bench/main.ts --cluster: a small fan-out on the single server and over two nodes",
  ignore: !haveRedis() || postgresBinDir() === undefined,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-smoke-cluster-" });
    try {
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          main,
          "--cluster=2",
          "--scenarios=fanout,idle",
          "--fanout-members=20",
          "--fanout-rates=10",
          "--duration=1",
          "--cluster-idle=40",
          "--quiet",
          `--out=${out}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(r.stdout);
      assert(r.code === 0, text + new TextDecoder().decode(r.stderr));
      assert(!text.includes("problem:"), text);
      const json = JSON.parse(await Deno.readTextFile(`${out}/cluster-latest.json`));
      const [single, two] = json.results.fanout;
      assertEquals([single.setup.label, two.setup.label], ["single", "2 nodes"]);
      for (const f of [single, two]) {
        const p = f.fanout.points[0];
        assert(p.sent > 0, "nothing sent");
        assertEquals(p.expected, p.sent * 19);
        assertEquals(p.received, p.expected);
      }
      assertEquals(Object.keys(two.fanout.points[0].cpuSecondsBy), ["server", "redis", "postgres"]);
      assertEquals(json.results.idle.registered, 40);
      assertEquals(json.results.idle.rssPerNodeKiB.length, 2);
      assert((await Deno.readTextFile(`${out}/cluster-latest.md`)).startsWith("| setup |"));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
