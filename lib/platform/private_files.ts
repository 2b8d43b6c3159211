/**
 * Files only their owner may read: the data folder holds password hashes (chat.db), every
 * private message, the TLS key and the operators' passwords (opers.txt). On POSIX the folder is
 * made 0700 and those files 0600; on Windows a user's folders are private by their ACLs already
 * and modes mean nothing, so these do nothing there.
 *
 * @module
 */

const POSIX = Deno.build.os !== "windows";

/**
 * Creates a folder and its missing parents readable only by this user (0700). A folder that
 * exists already is left as the operator set it up.
 *
 * @example
 * ```ts ignore
 * await makePrivateDir("./chat-data");
 * ```
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** {@link makePrivateDir}, synchronously (for the data folder probe). */
export function makePrivateDirSync(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Makes an existing file readable only by its owner (0600) when its group or others could
 * read or write it. Returns true when it changed the mode; false when there was nothing to
 * do, no such file, or (on Windows) no modes. Throws when the mode cannot be changed, e.g.
 * the file belongs to someone else.
 *
 * @example
 * ```ts ignore
 * if (keepPrivate("./chat-data/opers.txt")) console.log("opers.txt is now 0600");
 * ```
 */
export function keepPrivate(path: string): boolean {
  if (!POSIX) return false;
  let mode: number | null;
  try {
    mode = Deno.statSync(path).mode;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  if (mode === null || (mode & 0o077) === 0) return false;
  Deno.chmodSync(path, 0o600);
  return true;
}

/**
 * Creates an empty file readable only by its owner (0600) unless it exists, so a program that
 * then opens it (SQLite) never makes it with the default, readable mode.
 *
 * @example
 * ```ts ignore
 * createPrivateFile("./chat-data/chat.db");
 * ```
 */
export function createPrivateFile(path: string): void {
  try {
    Deno.openSync(path, { createNew: true, write: true, mode: 0o600 }).close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
}
