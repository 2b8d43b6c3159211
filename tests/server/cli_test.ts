import { equal } from "node:assert/strict";
import { parseServerArgs } from "../../lib/server/cli.ts";

Deno.test("parseServerArgs() takes the '--' that `deno task start -- …` passes on", () => {
  const r = parseServerArgs(["--", "--port", "7000"]);
  equal(r.kind, "run");
  if (r.kind === "run") equal(r.config.port, 7000);
  // what follows a "--" elsewhere is still a mistake, said as one
  equal(parseServerArgs(["--port", "7000", "--", "x"]).kind, "error");
});
