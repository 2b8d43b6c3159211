import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { TestClient } from "../helpers/irc_client.ts";
import { join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const CAPS = ["draft/chathistory", "batch", "server-time", "message-tags", "echo-message"];

/** The texts of the PRIVMSGs CHATHISTORY LATEST gives for a channel. */
async function latest(c: TestClient, channel: string): Promise<string[]> {
  c.send(`CHATHISTORY LATEST ${channel} * 50`);
  const start = await c.expectMessage(/ BATCH \+\S+ chathistory /);
  const lines = await c.collectUntil(new RegExp(` BATCH -${start.params[0].slice(1)}$`));
  return lines.filter((l) => l.includes(" PRIVMSG ")).map((l) => l.split(" :").pop()!);
}

Deno.test(
  "a public unregistered channel keeps its history across a restart; a private one starts afresh",
  // the floors of channels still open are written at a graceful stop, which the harness asks
  // for with SIGINT: signals are sent differently on Windows (wine_test.ts covers Ctrl+C)
  { ignore: Deno.build.os === "windows" },
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-floor-" });
    try {
      let server = await startServer([], undefined, { dataDir });
      const a = await TestClient.connect(server.port);
      await a.register("amy", CAPS);
      const say = async (channel: string, text: string) => {
        a.send(`PRIVMSG ${channel} :${text}`);
        await a.expect(new RegExp(`PRIVMSG ${channel} :${text}$`));
      };
      // open at shutdown: public, private (+s)
      await join(a, "#lobby");
      await say("#lobby", "in the lobby");
      await join(a, "#secret");
      a.send("MODE #secret +s");
      await a.expect(/ MODE #secret \+s/);
      await say("#secret", "hush");
      // emptied before the restart: public, private (+k)
      await join(a, "#emptied");
      await say("#emptied", "before emptying");
      a.send("PART #emptied");
      await a.expect(/ PART #emptied/);
      await join(a, "#keyed");
      a.send("MODE #keyed +k door");
      await a.expect(/ MODE #keyed \+k door/);
      await say("#keyed", "behind the door");
      a.send("PART #keyed");
      await a.expect(/ PART #keyed/);
      assertEquals(await server.stop(), 0);
      await a.close();

      server = await startServer([], undefined, { dataDir });
      const b = await TestClient.connect(server.port);
      try {
        await b.register("bea", CAPS);
        for (const channel of ["#lobby", "#secret", "#emptied", "#keyed"]) {
          b.send(`JOIN ${channel}`);
          await b.expect(new RegExp(` 366 bea ${channel} `));
        }
        assertEquals(await latest(b, "#lobby"), ["in the lobby"]);
        assertEquals(await latest(b, "#emptied"), ["before emptying"]);
        assertEquals(await latest(b, "#secret"), []);
        assertEquals(await latest(b, "#keyed"), []);
      } finally {
        await b.close();
        await server.stop();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
