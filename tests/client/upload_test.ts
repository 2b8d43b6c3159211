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
