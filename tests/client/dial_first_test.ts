import { equal, rejects } from "node:assert/strict";
import { dial, dialFirst } from "../../lib/client/dial.ts";
import { freePort } from "../helpers/wait.ts";

Deno.test("dialFirst() skips a server that is gone and connects to the next one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const gone = freePort();
  const accepted = listener.accept();
  try {
    const conn = await dialFirst([
      { host: "127.0.0.1", port: gone, tls: false },
      { host: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port, tls: false },
    ], dial);
    const peer = await accepted;
    await conn.write("PING :x");
    const buf = new Uint8Array(64);
    const n = await peer.read(buf);
    equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "PING :x\r\n");
    conn.close();
    peer.close();
  } finally {
    listener.close();
  }
  // none answers: the last error
  await rejects(
    dialFirst([{ host: "127.0.0.1", port: gone, tls: false }], dial),
    Deno.errors.ConnectionRefused,
  );
});
