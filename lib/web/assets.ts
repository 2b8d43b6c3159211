/**
 * The browser app's files, loaded once at start from the {@link SERVED_FOLDERS} (which
 * `deno compile --include` embeds). TypeScript files are served as
 * JavaScript: their types are stripped here, so the app is type-checked with the rest of the
 * code and needs no build step.
 *
 * @module
 */

import { stripTypeScriptTypes } from "node:module";

/** One file ready to serve. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** A strong validator for `If-None-Match`. */
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".ts": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
};

/** The folder of the browser app itself (index.html, styles, the app's modules). */
export const STATIC_DIR: URL = new URL("./static/", import.meta.url);

/**
 * The only source folders served, relative to the repository root: the app, the code it
 * shares with the terminal client, and the pure protocol library both use. Each is served
 * under its own path (`/lib/shared/message_text.ts`), so the app's relative imports resolve
 * in the browser exactly as they do for the type checker. Nothing else is ever served.
 */
export const SERVED_FOLDERS: readonly string[] = ["lib/web/static", "lib/shared", "lib/protocol"];

/** The URL path of the app's page, also served at `/`. */
export const INDEX_PATH = "/lib/web/static/index.html";

/**
 * Strips TypeScript types so a browser can run the file. Only erasable syntax is used in the
 * app (no enums or namespaces), so stripping keeps line and column numbers as they are.
 *
 * @example
 * ```ts
 * import { toJavaScript } from "./assets.ts";
 * toJavaScript("const n: number = 1;").replace(/\s+/g, " "); // "const n = 1;"
 * ```
 */
export function toJavaScript(source: string): string {
  return stripTypeScriptTypes(source, { mode: "strip" });
}

async function etagOf(body: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  return '"' + Array.from(hash.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("") +
    '"';
}

/**
 * Reads every file of the {@link SERVED_FOLDERS} (not recursive: each is flat) into memory,
 * keyed by URL path (`/lib/web/static/app.ts`, ...), plus `/` for the page. Files with an
 * unknown type are left out, so nothing unexpected is ever served. `staticDir` is the app's
 * folder; the other folders are found beside it, as the source tree lays them out.
 *
 * @example
 * ```ts ignore
 * import { loadAssets } from "./assets.ts";
 * const assets = await loadAssets();
 * assets.get("/")?.contentType; // "text/html; charset=utf-8"
 * assets.has("/lib/shared/message_text.ts"); // true
 * ```
 */
export async function loadAssets(staticDir: URL = STATIC_DIR): Promise<Map<string, Asset>> {
  const root = new URL("../../../", staticDir);
  const assets = new Map<string, Asset>();
  for (const folder of SERVED_FOLDERS) {
    const dir = new URL(folder + "/", root);
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const dot = entry.name.lastIndexOf(".");
      const ext = dot === -1 ? "" : entry.name.slice(dot);
      const contentType = TYPES[ext];
      if (!contentType) continue;
      let body: Uint8Array<ArrayBuffer> = await Deno.readFile(new URL(entry.name, dir));
      if (ext === ".ts") {
        body = new TextEncoder().encode(toJavaScript(new TextDecoder().decode(body)));
      }
      assets.set(`/${folder}/${entry.name}`, { body, contentType, etag: await etagOf(body) });
    }
  }
  const index = assets.get(INDEX_PATH);
  // the page is also the site's root; "/index.html" is what a browser may ask for by habit
  if (index) {
    assets.set("/", index);
    assets.set("/index.html", index);
  }
  return assets;
}
