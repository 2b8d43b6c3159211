/** chat-client's command line: --help, --version, bad options. */
import assert from "node:assert/strict";
import { repoPath } from "../helpers/client_harness.ts";

async function run(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", repoPath("client.ts"), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("chat-client --help lists the options and exits 0", async () => {
  const r = await run(["--help"]);
  assert.equal(r.code, 0);
  for (const opt of ["--server", "--nick", "--join", "--tls", "--help", "--version"]) {
    assert.ok(r.stdout.includes(opt), opt);
  }
});

Deno.test("chat-client --version prints the version and exits 0", async () => {
  const r = await run(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^chat-client \(deno-chat\) \d+\.\d+\.\d+\n$/);
});

Deno.test("chat-client explains a bad option or server address and exits 2", async () => {
  const bad = await run(["--frobnicate"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /chat-client: .*frobnicate[\s\S]*--help/);
  const port = await run(["--server", "localhost:99999"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /bad port "99999"/);
});
