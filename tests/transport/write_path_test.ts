// Which write path the real server uses, as its start-up line and /metrics say.

import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { startServer } from "../helpers/server_process.ts";
import { TestClient } from "../helpers/irc_client.ts";

const linux = Deno.build.os === "linux";

for (const ffi of [true, false]) {
  const path = ffi && linux ? "direct send(2)" : "Deno write";
  Deno.test(`with${ffi ? "" : "out"} the FFI permission the server says it uses ${path}`, async () => {
    const server = await startServer([], ["floodBurst=0"], { ffi, web: true });
    try {
      assertEquals(await server.waitForOutput(/^write path: /), `write path: ${path}`);
      // a connection accepted and written to, then what /metrics reports
      const c = await TestClient.connect(server.port);
      await c.register("alice");
      await c.close();
      const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      const escaped = path.replace(/[()]/g, "\\$&");
      match(text, new RegExp(`^chat_write_path\\{path="${escaped}"\\} 1$`, "m"));
      match(text, /^chat_direct_send_fallbacks_total 0$/m);
    } finally {
      await server.stop();
    }
  });
}
