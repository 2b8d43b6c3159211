import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { INDEX_PATH, loadAssets, SERVED_FOLDERS } from "../../lib/web/assets.ts";

Deno.test("loadAssets() serves exactly the app, lib/shared and lib/protocol, at their source paths", async () => {
  const assets = await loadAssets();
  assertEquals([...SERVED_FOLDERS], ["lib/web/static", "lib/shared", "lib/protocol"]);
  for (const path of assets.keys()) {
    ok(
      path === "/" || path === "/index.html" ||
        SERVED_FOLDERS.some((f) =>
          path.startsWith(`/${f}/`) && !path.slice(f.length + 2).includes("/")
        ),
      path,
    );
  }
  ok(assets.has("/lib/web/static/app.ts"));
  ok(assets.has("/lib/shared/input_commands.ts"));
  ok(assets.has("/lib/protocol/message.ts"));
  assertEquals(assets.get("/"), assets.get(INDEX_PATH));
  ok(![...assets.keys()].some((p) => p.startsWith("/lib/server/") || p.startsWith("/lib/auth/")));
});

Deno.test("every module the browser loads imports only modules that are served", async () => {
  const assets = await loadAssets();
  const decoder = new TextDecoder();
  const missing: string[] = [];
  for (const [path, asset] of assets) {
    if (!path.endsWith(".ts")) continue;
    const js = decoder.decode(asset.body);
    for (const m of js.matchAll(/^\s*(?:import|export)\b[^"'`;]*?from\s+["']([^"']+)["']/gm)) {
      const spec = m[1];
      const resolved = new URL(spec, `http://x${path}`);
      if (!assets.has(resolved.pathname)) missing.push(`${path} -> ${spec}`);
    }
  }
  assertEquals(missing, []);
});
