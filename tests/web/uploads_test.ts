import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { ClientPool } from "../helpers/client_pool.ts";
import { type RunningServer, startServer, TEST_LIMITS } from "../helpers/server_process.ts";

const LIMITS = [...TEST_LIMITS, "uploadMaxBytes=1000", "uploadQuotaBytes=1500"];
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function basic(name: string, password: string): string {
  return "Basic " + btoa(`${name}:${password}`);
}

function pngOf(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.set(PNG);
  for (let i = PNG.length; i < size; i++) bytes[i] = (i * 31) & 0xff;
  return bytes;
}

async function upload(
  server: RunningServer,
  body: Uint8Array<ArrayBuffer> | string,
  name: string,
  auth: string | null = basic("ann", "ann-password"),
): Promise<{ status: number; text: string; location: string | null }> {
  const headers: Record<string, string> = {
    "content-disposition": `attachment; filename="${name}"`,
    "content-type": "application/octet-stream",
  };
  if (auth) headers.authorization = auth;
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/upload`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  });
  return { status: res.status, text: await res.text(), location: res.headers.get("location") };
}

/** The files in the uploads folder, partial ones included. */
async function filesIn(server: RunningServer): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(join(server.dataDir, "uploads"))) names.push(e.name);
  } catch {
    // no folder yet
  }
  return names.sort();
}

Deno.test("uploads (soju.im/FILEHOST): accounts only, safe types, size limit and quota", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-uploads-" });
  let server = await startServer([], LIMITS, { web: true, dataDir });
  try {
    const { clients, user } = new ClientPool(server.port);
    const irc = await user("ann");
    irc.send("REGISTER * * ann-password");
    await irc.expect(/REGISTER SUCCESS/);
    const isupport = irc.lines.filter((l) => / 005 /.test(l)).join(" ");
    ok(
      isupport.includes(` soju.im/FILEHOST=http://127.0.0.1:${server.httpPort}/upload `),
      isupport,
    );
    await Promise.all(clients.map((c) => c.close()));

    let pngUrl = "";
    const png = pngOf(800);
    await t.step(
      "a good upload answers 201 with Location and round-trips byte for byte",
      async () => {
        const r = await upload(server, png, "cat.png");
        assertEquals(r.status, 201);
        ok(r.location?.startsWith(`http://127.0.0.1:${server.httpPort}/uploads/`), r.location!);
        ok(r.location!.endsWith("/cat.png"));
        assertEquals(r.text, `${r.location}\n`);
        pngUrl = r.location!;
        const res = await fetch(pngUrl);
        assertEquals(new Uint8Array(await res.arrayBuffer()), png);
        assertEquals(res.headers.get("content-type"), "image/png");
        assertEquals(
          res.headers.get("content-disposition"),
          `inline; filename="cat.png"; filename*=UTF-8''cat.png`,
        );
        assertEquals(res.headers.get("x-content-type-options"), "nosniff");
        assertEquals(res.headers.get("content-security-policy"), "sandbox");
      },
    );

    await t.step("HTML and SVG are never served inline as a page", async () => {
      const html = "<!doctype html><script>alert(document.cookie)</script>";
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>';
      for (const [body, name] of [[html, "page.html"], [svg, "pic.svg"]]) {
        const r = await upload(server, body, name);
        assertEquals(r.status, 201, r.text);
        const res = await fetch(r.location!);
        assertEquals(await res.text(), body);
        assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
        assertEquals(
          res.headers.get("content-disposition"),
          `attachment; filename="${name}"; filename*=UTF-8''${name}`,
        );
        assertEquals(res.headers.get("x-content-type-options"), "nosniff");
        assertEquals(res.headers.get("content-security-policy"), "sandbox");
      }
    });

    await t.step("a guest (no credentials) cannot upload", async () => {
      const before = await filesIn(server);
      const r = await upload(server, "hello", "a.txt", null);
      assertEquals(r.status, 401);
      assertEquals(
        r.text,
        "uploads are for registered accounts: log in with your account name and password " +
          "(HTTP Basic); guests cannot upload\n",
      );
      assertEquals(await filesIn(server), before);
    });

    await t.step("a wrong password is 401", async () => {
      const r = await upload(server, "hello", "a.txt", basic("ann", "wrong"));
      assertEquals([r.status, r.text], [401, "wrong account or password\n"]);
      const nobody = await upload(server, "hello", "a.txt", basic("nobody", "x"));
      assertEquals([nobody.status, nobody.text], [401, "wrong account or password\n"]);
    });

    await t.step("a file over the limit is refused and nothing is left half-written", async () => {
      const before = await filesIn(server);
      const r = await upload(server, pngOf(1001), "big.png");
      assertEquals(
        [r.status, r.text],
        [413, "the file is 1001 bytes; this server takes files of up to 1000 bytes\n"],
      );
      assertEquals(await filesIn(server), before);
    });

    await t.step("an upload cut off midway leaves nothing behind", async () => {
      const before = await filesIn(server);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.httpPort });
      const head = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        `Authorization: ${basic("ann", "ann-password")}\r\nContent-Length: 500\r\n\r\n`;
      await conn.write(new TextEncoder().encode(head));
      await conn.write(pngOf(100));
      // the partial file exists while the body arrives; it goes when the connection does
      let seen = false;
      for (let i = 0; i < 200 && !seen; i++) {
        seen = (await filesIn(server)).some((n) => n.startsWith(".partial-"));
        if (!seen) await new Promise((r) => setTimeout(r, 10));
      }
      ok(seen, "the partial file was never written");
      conn.close();
      let after: string[] = [];
      for (let i = 0; i < 200; i++) {
        after = await filesIn(server);
        if (after.length === before.length) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals(after, before);
    });

    await t.step("the quota holds, across a restart too", async () => {
      // 800 + 55 + 58 kept of 1500: 700 more do not fit
      const r = await upload(server, pngOf(700), "more.png");
      assertEquals([r.status, r.text], [
        413,
        "over your upload quota: you keep 913 bytes of 1.5 KiB, and this file is 700 bytes\n",
      ]);
      await server.stop();
      server = await startServer([], LIMITS, { web: true, dataDir });
      const again = await upload(server, pngOf(700), "more.png");
      assertEquals(again.status, 413);
      const fits = await upload(server, pngOf(500), "fits.png");
      assertEquals(fits.status, 201);
      // 1,413 of 1,500 kept: of two 60-byte uploads at once, only one fits
      const both = await Promise.all([
        upload(server, pngOf(60), "one.png"),
        upload(server, pngOf(60), "two.png"),
      ]);
      assertEquals(both.map((r) => r.status).sort(), [201, 413]);
      // and what was uploaded before the restart is still served
      const old = new URL(pngUrl).pathname;
      const res = await fetch(`http://127.0.0.1:${server.httpPort}${old}`);
      assertEquals(new Uint8Array(await res.arrayBuffer()), png);
    });

    await t.step(
      "OPTIONS on the upload URL says what it takes; an unknown file is 404",
      async () => {
        const res = await fetch(`http://127.0.0.1:${server.httpPort}/upload`, {
          method: "OPTIONS",
        });
        await res.body?.cancel();
        assertEquals(res.status, 204);
        assertEquals(res.headers.get("accept-post"), "*/*");
        const missing = await fetch(
          `http://127.0.0.1:${server.httpPort}/uploads/AAAAAAAAAAAAAAAAAAAAAA/x`,
        );
        assertEquals([missing.status, await missing.text()], [404, "no such file\n"]);
      },
    );
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("uploads: a refusal whose sizes would read the same in KiB gives them in bytes", async () => {
  const server = await startServer([], [...TEST_LIMITS, "uploadMaxBytes=100000"], { web: true });
  try {
    const { clients, user } = new ClientPool(server.port);
    const irc = await user("ann");
    irc.send("REGISTER * * ann-password");
    await irc.expect(/REGISTER SUCCESS/);
    await Promise.all(clients.map((c) => c.close()));
    // 97.7 KiB both, in KiB
    const r = await upload(server, pngOf(100_001), "big.png");
    assertEquals(
      [r.status, r.text],
      [413, "the file is 100001 bytes; this server takes files of up to 100000 bytes\n"],
    );
    const big = await upload(server, pngOf(150_000), "bigger.png");
    assertEquals(
      [big.status, big.text],
      [413, "the file is 146.5 KiB; this server takes files of up to 97.7 KiB\n"],
    );
  } finally {
    await server.stop();
  }
});
