/**
 * The known-servers file: the TLS certificates the user chose to trust, SSH style. Each line
 * pins one `host:port` to the SHA-256 fingerprint of its certificate, with the certificate
 * itself (base64 DER) so it can be shown or used as a trust anchor later:
 *
 * ```
 * # deno-chat known servers
 * localhost:6697 3F:A0:…:9C MIIBkTCCATegAwIBAgIQ…
 * [::1]:6697 3F:A0:…:9C MIIBkTCCATegAwIBAgIQ…
 * ```
 *
 * It lives in the user's config folder: `%APPDATA%\deno-chat\known_servers` on Windows,
 * `$XDG_CONFIG_HOME/deno-chat/known_servers` (or `~/.config/deno-chat/…`) elsewhere;
 * `DENO_CHAT_CONFIG_DIR` overrides the folder (tests, portable setups).
 *
 * @module
 */

import { join, posix, win32 } from "node:path";
import { readConfigText, updateConfigText } from "./config_file.ts";

/**
 * One pinned server.
 *
 * @example
 * ```ts
 * import type { KnownServer } from "./known_servers.ts";
 * const k: KnownServer = { key: "localhost:6697", fingerprint: "AB:…", certBase64: "MII…" };
 * ```
 */
export interface KnownServer {
  /** `host:port` (`[v6]:port`), host lower-cased. */
  key: string;
  /** SHA-256 of the certificate, `AB:CD:…`. */
  fingerprint: string;
  /** The certificate, base64 DER (a PEM body without its lines). */
  certBase64: string;
}

/**
 * The key of a server in the file: `host:port`, IPv6 in brackets, host lower-cased.
 *
 * @example
 * ```ts
 * import { serverKey } from "./known_servers.ts";
 * serverKey("LocalHost", 6697); // "localhost:6697"
 * serverKey("::1", 6697); // "[::1]:6697"
 * ```
 */
export function serverKey(host: string, port: number): string {
  const h = host.toLowerCase();
  return `${h.includes(":") ? `[${h}]` : h}:${port}`;
}

/**
 * The user's config folder for deno-chat, from the environment (see the module doc).
 *
 * @example
 * ```ts
 * import { configDir } from "./known_servers.ts";
 * configDir({ HOME: "/home/ann" }, "linux"); // "/home/ann/.config/deno-chat"
 * configDir({ APPDATA: "C:\\Users\\ann\\AppData\\Roaming" }, "windows").endsWith("deno-chat"); // true
 * ```
 */
export function configDir(
  env: Record<string, string | undefined>,
  os: string = Deno.build.os,
): string {
  if (env.DENO_CHAT_CONFIG_DIR) return env.DENO_CHAT_CONFIG_DIR;
  // join by the rules of the asked-for system, not the one this runs on
  if (os === "windows") {
    const base = env.APPDATA ??
      (env.USERPROFILE ? win32.join(env.USERPROFILE, "AppData", "Roaming") : ".");
    return win32.join(base, "deno-chat");
  }
  if (env.XDG_CONFIG_HOME) return posix.join(env.XDG_CONFIG_HOME, "deno-chat");
  return posix.join(env.HOME ?? ".", ".config", "deno-chat");
}

/**
 * The config folder from the real environment (variables that cannot be read count as
 * unset).
 *
 * @example
 * ```ts ignore
 * defaultConfigDir(); // "/home/ann/.config/deno-chat"
 * ```
 */
export function defaultConfigDir(): string {
  const env: Record<string, string | undefined> = {};
  for (const k of ["DENO_CHAT_CONFIG_DIR", "APPDATA", "USERPROFILE", "XDG_CONFIG_HOME", "HOME"]) {
    try {
      env[k] = Deno.env.get(k);
    } catch {
      // no --allow-env for it
    }
  }
  return configDir(env);
}

/**
 * Parses the file's text; malformed lines are skipped (a hand edit must not lock the user
 * out of every server).
 *
 * @example
 * ```ts
 * import { parseKnownServers } from "./known_servers.ts";
 * parseKnownServers("# c\nlocalhost:6697 AB MII\n").get("localhost:6697")?.fingerprint; // "AB"
 * ```
 */
export function parseKnownServers(text: string): Map<string, KnownServer> {
  const out = new Map<string, KnownServer>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [key, fingerprint, certBase64 = ""] = line.split(/\s+/);
    if (!key || !fingerprint) continue;
    out.set(key.toLowerCase(), { key: key.toLowerCase(), fingerprint, certBase64 });
  }
  return out;
}

/**
 * Serialises entries back to the file's text.
 *
 * @example
 * ```ts
 * import { formatKnownServers } from "./known_servers.ts";
 * formatKnownServers([{ key: "h:1", fingerprint: "AB", certBase64: "MII" }]).endsWith("h:1 AB MII\n"); // true
 * ```
 */
export function formatKnownServers(entries: Iterable<KnownServer>): string {
  const lines = [
    "# deno-chat known servers: host:port, SHA-256 fingerprint, certificate (base64 DER).",
    "# Delete a line to forget a server; it will be asked about again.",
  ];
  for (const e of entries) lines.push(`${e.key} ${e.fingerprint} ${e.certBase64}`);
  return lines.join("\n") + "\n";
}

/**
 * The known-servers file of one config folder.
 *
 * @example
 * ```ts ignore
 * import { KnownServers } from "./known_servers.ts";
 * const known = new KnownServers("/home/ann/.config/deno-chat");
 * await known.get("localhost:6697");
 * ```
 */
export class KnownServers {
  /** The file's path. */
  readonly path: string;

  constructor(dir: string = defaultConfigDir()) {
    this.path = join(dir, "known_servers");
  }

  /** Every entry (none when the file does not exist yet). */
  async load(): Promise<Map<string, KnownServer>> {
    return parseKnownServers(await readConfigText(this.path));
  }

  /** The entry for `host:port`, if pinned. */
  async get(key: string): Promise<KnownServer | undefined> {
    return (await this.load()).get(key.toLowerCase());
  }

  /** Pins (or re-pins) a server; the file is replaced atomically, other pins are kept. */
  pin(entry: KnownServer): Promise<void> {
    return updateConfigText(this.path, (text) => {
      const all = parseKnownServers(text);
      all.set(entry.key.toLowerCase(), { ...entry, key: entry.key.toLowerCase() });
      return formatKnownServers(all.values());
    }, 0o600);
  }
}
