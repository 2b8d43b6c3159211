/**
 * The product's name and version, stamped into replies (004, 351) and `--version`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`deno-chat ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";

/** The software name as IRC clients see it in RPL_MYINFO and RPL_VERSION. */
export const SOFTWARE = "deno-chat";
