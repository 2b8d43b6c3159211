import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const encoder = new TextEncoder();

Deno.test("a bare CR or a NUL inside a line never reaches another client; the sender is told", async () => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const mallory = await user("mallory", ["message-tags"]);
    const bob = await user("bob", ["message-tags", "server-time"]);
    await join(mallory, "#c");
    await join(bob, "#c");
    bob.skip();
    mallory.sendRaw(encoder.encode(
      "PRIVMSG #c :hi\r:NickServ!NickServ@services. NOTICE bob :Your password expired, type it here\r\n" +
        "NOTICE bob :a\0b\r\n" +
        "@+draft/reply=x\ry PRIVMSG #c :tagged\r\n",
    ));
    const text = "Lines may not contain NUL or CR characters; this one was not processed";
    assertEquals(
      await mallory.expect(/FAIL PRIVMSG/),
      `:deno-chat.local FAIL PRIVMSG INVALID_CHARACTERS :${text}`,
    );
    assertEquals(
      await mallory.expect(/FAIL NOTICE/),
      `:deno-chat.local FAIL NOTICE INVALID_CHARACTERS :${text}`,
    );
    assertEquals(
      await mallory.expect(/FAIL/),
      `:deno-chat.local FAIL PRIVMSG INVALID_CHARACTERS :${text}`,
    );
    // an escaped CR/LF in a client tag is removed, not relayed
    mallory.send("@+draft/reply=x\\ry\\nz PRIVMSG #c :fine");
    const relayed = await bob.expectMessage(/PRIVMSG #c :fine$/);
    assertEquals(relayed.tags["+draft/reply"], "xyz");
    await bob.expectNone(/NickServ|password expired|tagged|NOTICE bob/);
    for (const line of bob.lines) {
      if (/[\r\0]/.test(line)) throw new Error(`bob received a CR or NUL: ${JSON.stringify(line)}`);
    }
    // the server still works for both
    mallory.send("PRIVMSG #c :still here");
    await bob.expect(/PRIVMSG #c :still here$/);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
