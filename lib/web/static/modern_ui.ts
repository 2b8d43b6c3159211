/**
 * What only the web app shows of the modern chat extensions, as pure functions: the quick
 * reactions of its picker (+draft/react), which links it shows inline as images, and whether
 * it offers to delete a message (draft/message-redaction). What both clients need is in
 * lib/shared (multiline_batch, search_query, filehost_upload, markread, monitor, modern_caps).
 *
 * @module
 */

/**
 * The reactions offered in the picker (any emoji received is shown, these are the quick
 * ones).
 *
 * @example
 * ```ts
 * import { QUICK_REACTIONS } from "./modern_ui.ts";
 * QUICK_REACTIONS.includes("👍"); // true
 * ```
 */
export const QUICK_REACTIONS: readonly string[] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

/**
 * Whether a link is an image from the server's own upload place, which the page may show
 * inline (the page's Content-Security-Policy allows images from its own origin only).
 *
 * @example
 * ```ts
 * import { isInlineImage } from "./modern_ui.ts";
 * isInlineImage("https://c.org/uploads/a.png", "https://c.org/upload", "https://c.org"); // true
 * isInlineImage("https://c.org/upload/7f3a", "https://c.org/upload", "https://c.org"); // true
 * isInlineImage("https://evil.org/a.png", "https://c.org/upload", "https://c.org"); // false
 * ```
 */
export function isInlineImage(href: string, uploadUrl: string, pageOrigin: string): boolean {
  try {
    const u = new URL(href);
    const up = new URL(uploadUrl);
    if (u.origin !== pageOrigin || u.origin !== up.origin) return false;
    // an image by its name, or anything the file host serves below its own path (names
    // there may carry no extension; what does not load as an image is not shown)
    return /\.(png|jpe?g|gif|webp|avif)$/i.test(u.pathname) ||
      u.pathname.startsWith(up.pathname.replace(/\/?$/, "/"));
  } catch {
    return false;
  }
}

/**
 * Whether the file host the server advertises is this page's own server under another name
 * (the page was opened as `localhost` or by host name, the server names its LAN address):
 * same scheme and port. The page may talk to its own origin only, so it then uploads and
 * loads previews there, and posts links with the advertised address, which others reach.
 */
function sameServer(fileHost: URL, page: URL): boolean {
  return fileHost.protocol === page.protocol && fileHost.port === page.port;
}

/**
 * A URL of the file host as this page reaches it: on the page's own origin when the file
 * host is this server under another name ({@link sameServer}); else unchanged.
 *
 * @example
 * ```ts
 * import { onPage } from "./modern_ui.ts";
 * const up = "http://10.0.0.5:8080/upload";
 * onPage("http://10.0.0.5:8080/uploads/a/x.png", up, "http://localhost:8080"); // "http://localhost:8080/uploads/a/x.png"
 * onPage("http://10.0.0.5:9000/x.png", up, "http://localhost:8080"); // "http://10.0.0.5:9000/x.png"
 * ```
 */
export function onPage(href: string, fileHost: string, pageOrigin: string): string {
  return rebase(href, fileHost, pageOrigin, fileHost, pageOrigin);
}

/**
 * A URL of this page's origin as everyone reaches it: on the advertised file host's origin
 * when that is this server ({@link sameServer}); else unchanged. For the link to an upload
 * the server made from the address the page used.
 *
 * @example
 * ```ts
 * import { advertised } from "./modern_ui.ts";
 * const up = "http://10.0.0.5:8080/upload";
 * advertised("http://localhost:8080/uploads/a/x.png", up, "http://localhost:8080"); // "http://10.0.0.5:8080/uploads/a/x.png"
 * ```
 */
export function advertised(href: string, fileHost: string, pageOrigin: string): string {
  return rebase(href, fileHost, pageOrigin, pageOrigin, fileHost);
}

/** `href` moved from the origin of `from` to that of `to`, when the two are one server. */
function rebase(
  href: string,
  fileHost: string,
  pageOrigin: string,
  from: string,
  to: string,
): string {
  try {
    const u = new URL(href);
    const f = new URL(from);
    if (u.origin !== f.origin || !sameServer(new URL(fileHost), new URL(pageOrigin))) return href;
    return new URL(u.pathname + u.search + u.hash, new URL(to).origin).href;
  } catch {
    return href;
  }
}

/** Status prefixes of channel operators and above, who may delete anyone's message there. */
const OP_SYMBOLS = "~&@%";

/**
 * Whether we may delete a message: our own, or anyone's in a channel where we are an
 * operator (the server has the last word).
 *
 * @example
 * ```ts
 * import { mayRedact } from "./modern_ui.ts";
 * mayRedact(true, ""); // true
 * mayRedact(false, "@"); // true
 * mayRedact(false, "+"); // false
 * ```
 */
export function mayRedact(own: boolean, myPrefix: string): boolean {
  return own || [...myPrefix].some((s) => OP_SYMBOLS.includes(s));
}
