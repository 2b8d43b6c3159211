/**
 * chat-client's plain line mode against ngircd (the Debian package), with a raw TCP IRC
 * client on the other side. Skipped, with a message, when ngircd is not installed.
 */
import assert from "node:assert/strict";
import { hasProgram, RawPeer, repoPath, startNgircd } from "../helpers/client_harness.ts";
import { waitFor } from "../helpers/wait.ts";

const haveNgircd = await hasProgram("/usr/sbin/ngircd") || await hasProgram("ngircd");
if (!haveNgircd) console.warn("ngircd is not installed: the ngircd client tests are skipped");

/** A line-mode client process with its stdin open and its stdout collected. */
function spawnClient(port: number, nick: string, join = "#test") {
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      repoPath("client.ts"),
      "--server",
      `127.0.0.1:${port}`,
      "--nick",
      nick,
      "--join",
      join,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const out: string[] = [];
  let err = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) !== -1) {
        out.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf !== "") out.push(buf);
  })();
  const pumpErr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) err += dec.decode(chunk, { stream: true });
  })();
  const writer = proc.stdin.getWriter();
  const enc = new TextEncoder();
  return {
    out,
    stderr: () => err,
    write: (text: string) => writer.write(enc.encode(text)),
    closeInput: () => writer.close(),
    waitOut: (re: RegExp, timeoutMs = 15000) =>
      waitFor(
        `client output ${re}\n${out.join("\n")}`,
        () => out.find((l) => re.test(l)),
        timeoutMs,
      ),
    done: async () => {
      const status = await proc.status;
      await pump;
      await pumpErr;
      return status.code;
    },
    kill: () => {
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

type Client = ReturnType<typeof spawnClient>;

/**
 * A test against a fresh ngircd where alice, a raw client, is already in #test; every
 * client process the test spawns is stopped and the server removed afterwards.
 */
function ngircdTest(
  name: string,
  body: (t: { alice: RawPeer; spawn: (nick: string) => Client }) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !haveNgircd,
    fn: async () => {
      const server = (await startNgircd())!;
      const alice = await RawPeer.connect(server.port);
      const clients: Client[] = [];
      try {
        await alice.register("alice");
        alice.send("JOIN #test");
        await alice.waitFor(/ 366 alice #test /);
        await body({
          alice,
          spawn: (nick) => {
            const c = spawnClient(server.port, nick);
            clients.push(c);
            return c;
          },
        });
      } finally {
        for (const c of clients) {
          c.kill();
          await c.done();
        }
        await alice.close();
        await server.dispose();
      }
    },
  });
}

ngircdTest(
  "chat-client line mode chats with a raw TCP client through ngircd",
  async ({ alice, spawn }) => {
    const client = spawn("bob");
    await alice.waitFor(/^:bob!\S+ JOIN :?#test$/);
    await client.write("hello from bob\n");
    await alice.waitFor(/^:bob!\S+ PRIVMSG #test :hello from bob$/);
    alice.send("PRIVMSG #test :hi bob, nice to see you");
    const line = await client.waitOut(/<alice> hi bob/);
    assert.match(line, /^\[\d\d:\d\d\] <alice> hi bob, nice to see you$/);
    alice.send("PRIVMSG bob :a private word");
    assert.match(
      await client.waitOut(/a private word/),
      /^\[\d\d:\d\d\] alice <alice> a private word$/,
    );
    await client.write("/me waves\nlast line\n");
    await client.closeInput();
    assert.equal(await client.done(), 0, client.stderr());
    // deno-lint-ignore no-control-regex
    await alice.waitFor(/^:bob!\S+ PRIVMSG #test :\x01ACTION waves\x01$/);
    await alice.waitFor(/^:bob!\S+ PRIVMSG #test :last line$/);
    await alice.waitFor(/^:bob!\S+ QUIT /);
    assert.ok(client.out.some((l) => /^\[\d\d:\d\d\] <bob> hello from bob$/.test(l)));
  },
);

ngircdTest(
  "chat-client line mode sends every piped line before it quits (ngircd)",
  async ({ alice, spawn }) => {
    const client = spawn("piper");
    const lines = Array.from({ length: 20 }, (_, i) => `piped line ${i + 1}`);
    await client.write(lines.join("\n") + "\n");
    await client.closeInput();
    assert.equal(await client.done(), 0, client.stderr());
    const quitAt = await alice.waitFor(/^:piper!\S+ QUIT /).then((q) => alice.lines.indexOf(q));
    const got = alice.lines.slice(0, quitAt)
      .map((l) => /^:piper!\S+ PRIVMSG #test :(.*)$/.exec(l)?.[1])
      .filter((x) => x !== undefined);
    assert.deepEqual(got, lines);
  },
);

ngircdTest(
  "chat-client takes nick_ when its nick is in use on ngircd",
  async ({ alice, spawn }) => {
    const client = spawn("alice");
    await alice.waitFor(/^:alice_!\S+ JOIN :?#test$/);
    await client.waitOut(/nickname alice was taken, so you are alice_/);
    await client.closeInput();
    assert.equal(await client.done(), 0, client.stderr());
  },
);

Deno.test({
  name: "chat-client line mode exits with an error when no server listens",
  fn: async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const client = spawnClient(port, "nobody");
    await client.closeInput();
    assert.equal(await client.done(), 1);
    assert.ok(client.out.some((x) => /Could not connect to 127\.0\.0\.1:\d+/.test(x)));
  },
});
