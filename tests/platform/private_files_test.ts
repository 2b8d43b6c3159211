import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  createPrivateFile,
  keepPrivate,
  makePrivateDir,
} from "../../lib/platform/private_files.ts";

const posix = Deno.build.os !== "windows";
const mode = (p: string) => ((Deno.statSync(p).mode ?? 0) & 0o777).toString(8);

Deno.test({
  name: "private folders are 0700 with their parents; private files 0600, tightened if not",
  ignore: !posix,
}, async () => {
  const root = await Deno.makeTempDir();
  try {
    await makePrivateDir(`${root}/a/b`);
    assertEquals([mode(`${root}/a`), mode(`${root}/a/b`)], ["700", "700"]);
    createPrivateFile(`${root}/a/db`);
    assertEquals(mode(`${root}/a/db`), "600");
    Deno.writeTextFileSync(`${root}/a/db`, "kept");
    createPrivateFile(`${root}/a/db`); // exists: left alone, content and all
    assertEquals(Deno.readTextFileSync(`${root}/a/db`), "kept");
    Deno.writeTextFileSync(`${root}/old`, "x");
    Deno.chmodSync(`${root}/old`, 0o644);
    assertEquals(keepPrivate(`${root}/old`), true);
    assertEquals(mode(`${root}/old`), "600");
    assertEquals(keepPrivate(`${root}/old`), false);
    assertEquals(keepPrivate(`${root}/missing`), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
