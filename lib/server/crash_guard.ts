/**
 * Keeps one bug from taking the whole chat down: an error nobody caught is logged (to the
 * server's console, never to a client) and the server carries on.
 *
 * @module
 */

/**
 * Installs handlers for uncaught errors and unhandled promise rejections.
 *
 * @example
 * ```ts ignore
 * installCrashGuard();
 * ```
 */
export function installCrashGuard(): void {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    console.error("unhandled rejection (the server keeps running):", event.reason);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    console.error("uncaught error (the server keeps running):", event.error);
  });
}
