import assert from "node:assert/strict";
import { uploadFile } from "../../lib/client/upload.ts";

const credentials = { account: "ann", password: "pw" };

Deno.test("uploadFile() says in words why a local file cannot be sent, before any request", async () => {
  const dir = await Deno.makeTempDir();
  // nothing listens on port 9: a request would fail with another message
  const url = "http://127.0.0.1:9/upload";
  try {
    await assert.rejects(
      uploadFile({ url, path: `${dir}/missing.png`, credentials }),
      { message: `Cannot read ${dir}/missing.png: there is no such file.` },
    );
    // Windows refuses to open a folder at all (access denied)
    if (Deno.build.os !== "windows") {
      await assert.rejects(
        uploadFile({ url, path: dir, credentials }),
        { message: `Cannot read ${dir}: it is a folder.` },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uploadFile() gives the server's own reason for a refusal, never an error page", async () => {
  const answers = [
    new Response("over your upload quota: you keep 900 bytes of 1.5 KiB\n", { status: 413 }),
    new Response("<html><body><h1>413 Request Entity Too Large</h1></body></html>", {
      status: 413,
    }),
    new Response(null, { status: 401 }),
  ];
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.arrayBuffer();
    return answers.shift() ?? new Response(null, { status: 500 });
  });
  const dir = await Deno.makeTempDir();
  const path = `${dir}/notes.txt`;
  await Deno.writeTextFile(path, "meeting notes\n");
  const url = `http://127.0.0.1:${http.addr.port}/upload`;
  try {
    for (
      const why of [
        "over your upload quota: you keep 900 bytes of 1.5 KiB",
        "the file is too large for this server",
        "the server refused your account",
      ]
    ) {
      await assert.rejects(uploadFile({ url, path, credentials }), {
        message: `The upload of notes.txt failed: ${why}.`,
      });
    }
  } finally {
    await http.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
