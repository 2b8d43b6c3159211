/**
 * The browser app's files, loaded once at start from `lib/web/static/` (which
 * `deno compile --include lib/web/static` embeds). TypeScript files are served as
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

/** The folder the assets are read from by default. */
export const STATIC_DIR: URL = new URL("./static/", import.meta.url);

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
 * Reads every file of the static folder (not recursive: the app is flat) into memory, keyed
 * by URL path (`/index.html`, `/app.ts`, ...). Files with an unknown type are left out, so
 * nothing unexpected is ever served.
 *
 * @example
 * ```ts ignore
 * import { loadAssets } from "./assets.ts";
 * const assets = await loadAssets();
 * assets.get("/index.html")?.contentType; // "text/html; charset=utf-8"
 * ```
 */
export async function loadAssets(dir: URL = STATIC_DIR): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
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
    assets.set("/" + entry.name, { body, contentType, etag: await etagOf(body) });
  }
  return assets;
}
