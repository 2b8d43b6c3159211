/**
 * IRCv3 Strict Transport Security (https://ircv3.net/specs/extensions/sts): a server that
 * offers `sts=port=6697` on a plain connection wants the client to come back over TLS on
 * that port at once; offered as `sts=duration=N` over TLS, it tells the client to use only
 * TLS for that host for the next N seconds. The client keeps those promises in the
 * `sts_policies` file next to its known servers:
 *
 * ```
 * # deno-chat STS policies: host, TLS port, expiry (UTC)
 * irc.example.org 6697 2027-11-28T09:00:00.000Z
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { readConfigText, updateConfigText } from "./config_file.ts";
import { defaultConfigDir } from "./known_servers.ts";

/**
 * The keys of an `sts` capability value that the client uses.
 *
 * @example
 * ```ts
 * import type { StsValue } from "./sts.ts";
 * const v: StsValue = { port: 6697, duration: undefined };
 * ```
 */
export interface StsValue {
  /** The TLS port to upgrade to (meaningful on a plain connection). */
  port: number | undefined;
  /** Seconds to keep the policy (meaningful on a TLS connection); 0 drops it. */
  duration: number | undefined;
}

/**
 * Parses an `sts` value (`port=6697,duration=300,preload`); keys with bad values count as
 * absent, unknown keys are ignored, as the specification asks.
 *
 * @example
 * ```ts
 * import { parseStsValue } from "./sts.ts";
 * parseStsValue("port=6697,duration=300"); // { port: 6697, duration: 300 }
 * parseStsValue("port=99999"); // { port: undefined, duration: undefined }
 * ```
 */
export function parseStsValue(value: string): StsValue {
  const out: StsValue = { port: undefined, duration: undefined };
  for (const item of value.split(",")) {
    const eq = item.indexOf("=");
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? "" : item.slice(eq + 1).trim();
    if (!/^\d{1,10}$/.test(raw)) continue;
    const n = Number(raw);
    if (key === "port" && n >= 1 && n <= 65535) out.port = n;
    else if (key === "duration") out.duration = n;
  }
  return out;
}

/**
 * A stored policy: connect to `host` only with TLS on `port` until `expires`.
 *
 * @example
 * ```ts
 * import type { StsPolicy } from "./sts.ts";
 * const p: StsPolicy = { host: "irc.example.org", port: 6697, expires: Date.now() + 60_000 };
 * ```
 */
export interface StsPolicy {
  /** Host name, lower-cased. */
  host: string;
  port: number;
  /** Milliseconds since the epoch. */
  expires: number;
}

/**
 * Reads the policies file's text; comments, blank and malformed lines are skipped.
 *
 * @example
 * ```ts
 * import { parseStsPolicies } from "./sts.ts";
 * parseStsPolicies("irc.example.org 6697 2030-01-01T00:00:00.000Z\n").get("irc.example.org")?.port; // 6697
 * ```
 */
export function parseStsPolicies(text: string): Map<string, StsPolicy> {
  const out = new Map<string, StsPolicy>();
  for (const line of text.split(/\r?\n/)) {
    const [host, port, expiry] = line.trim().split(/\s+/);
    if (!host || host.startsWith("#") || !port || !expiry) continue;
    const p = Number(port), expires = Date.parse(expiry);
    if (!Number.isInteger(p) || p < 1 || p > 65535 || Number.isNaN(expires)) continue;
    out.set(host.toLowerCase(), { host: host.toLowerCase(), port: p, expires });
  }
  return out;
}

/**
 * The policies file of one config folder.
 *
 * @example
 * ```ts ignore
 * import { StsPolicies } from "./sts.ts";
 * const sts = new StsPolicies("/home/ann/.config/deno-chat");
 * await sts.record("irc.example.org", 6697, 2592000);
 * (await sts.get("irc.example.org"))?.port; // 6697
 * ```
 */
export class StsPolicies {
  /** The file's path. */
  readonly path: string;

  constructor(dir: string = defaultConfigDir()) {
    this.path = join(dir, "sts_policies");
  }

  async #load(): Promise<Map<string, StsPolicy>> {
    return parseStsPolicies(await readConfigText(this.path));
  }

  /** The policy in force for a host, if any (expired ones do not count). */
  async get(host: string, now: number = Date.now()): Promise<StsPolicy | undefined> {
    const p = (await this.#load()).get(host.toLowerCase());
    return p && p.expires > now ? p : undefined;
  }

  /**
   * Records what a server said over TLS: keep to TLS on `port` for `durationSeconds`
   * (0 forgets the host). Expired entries are dropped; the file is replaced atomically.
   */
  record(
    host: string,
    port: number,
    durationSeconds: number,
    now: number = Date.now(),
  ): Promise<void> {
    return updateConfigText(this.path, (text) => {
      const all = parseStsPolicies(text);
      const key = host.toLowerCase();
      if (durationSeconds > 0) {
        all.set(key, { host: key, port, expires: now + durationSeconds * 1000 });
      } else if (!all.delete(key)) return undefined;
      const lines = ["# deno-chat STS policies: host, TLS port, expiry (UTC)"];
      for (const p of all.values()) {
        if (p.expires > now) {
          lines.push(`${p.host} ${p.port} ${new Date(p.expires).toISOString()}`);
        }
      }
      return lines.join("\n") + "\n";
    });
  }
}
