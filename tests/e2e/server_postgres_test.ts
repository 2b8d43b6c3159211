import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { ClientPool } from "../helpers/client_pool.ts";
import { postgresBinDir, startPostgres } from "../helpers/postgres.ts";
import { startServer } from "../helpers/server_process.ts";

const CAPS = ["draft/chathistory", "batch", "server-time", "message-tags"];

Deno.test({
  name: "server with --store postgres://: accounts and history outlive a restart",
  ignore: !postgresBinDir(),
  async fn() {
    const pg = await startPostgres();
    try {
      const url = await pg.newDatabase();
      const first = await startServer(["--store", url]);
      await first.waitForOutput(/^data: PostgreSQL at postgres:\/\/chat@127\.0\.0\.1/);
      let pool = new ClientPool(first.port);
      try {
        const a = await pool.connect();
        await a.register("pgann", CAPS);
        a.send("REGISTER * * :s3cret-pass");
        await a.expect(/ REGISTER SUCCESS /);
        a.send("JOIN #pg");
        await a.expect(/ 366 /);
        // a registered channel keeps its history across restarts (an unregistered one that
        // empties, as every channel does at a restart, starts again with none: issue 18 #1)
        a.send("PRIVMSG ChanServ :REGISTER #pg");
        await a.expect(/#pg is registered to pgann/);
        for (let i = 1; i <= 3; i++) a.send(`PRIVMSG #pg :kept ${i}`);
        a.send("PING :sync");
        await a.expect(/ PONG .* :?sync$/);
      } finally {
        await Promise.all(pool.clients.map((c) => c.close()));
        await first.stop();
      }

      const second = await startServer(["--store", url]);
      pool = new ClientPool(second.port);
      try {
        const b = await pool.connect();
        await b.register("pgbob", CAPS);
        b.send("JOIN #pg");
        await b.expect(/ 366 /);
        b.send("CHATHISTORY LATEST #pg * 10");
        const start = await b.expectMessage(/ BATCH \+\S+ chathistory /);
        const lines = await b.collectUntil(new RegExp(` BATCH -${start.params[0].slice(1)}$`));
        assertEquals(
          lines.filter((l) => l.includes(" PRIVMSG ")).map((l) => l.split(" :").pop()),
          ["kept 1", "kept 2", "kept 3"],
        );
        // the account made before the restart still knows its password
        b.send("NICK pgann");
        await b.expect(/NICK :?pgann/);
        b.send("PRIVMSG NickServ :IDENTIFY s3cret-pass");
        match(await b.expect(/ 900 /), /pgann/);
      } finally {
        await Promise.all(pool.clients.map((c) => c.close()));
        await second.stop();
      }
    } finally {
      await pg.stop();
    }
  },
});

Deno.test({
  name: "server with --store postgres:// that nobody answers: one clear line, exit 2",
  ignore: !postgresBinDir(),
  async fn() {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../server.ts", import.meta.url).pathname,
        "--port",
        "0",
        "--http-port",
        "0",
        "--tls-port",
        "0",
        "--data",
        await Deno.makeTempDir(),
        "--store",
        `postgres://chat@127.0.0.1:${port}/chat`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(out.code, 2);
    const err = new TextDecoder().decode(out.stderr).trim();
    match(
      err,
      /chat-server: cannot use the database postgres:\/\/chat@127\.0\.0\.1:\d+\/chat: nothing answers/,
    );
    assertEquals(err.includes("\n    at "), false);
  },
});

Deno.test("--store rejects a password in the URL and an unknown kind", async () => {
  const { parseServerArgs } = await import("../../lib/server/cli.ts");
  const withPassword = parseServerArgs(["--store", "postgres://chat:hunter2@db/chat"]);
  assertEquals(withPassword.kind, "error");
  match((withPassword as { message: string }).message, /keep the password out of the URL/);
  const unknown = parseServerArgs(["--store", "mysql"]);
  match((unknown as { message: string }).message, /--store is sqlite, memory or postgres/);
});
