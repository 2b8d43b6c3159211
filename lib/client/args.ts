/**
 * Command-line options of `chat-client`, parsed with `node:util`'s parseArgs.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ServerTarget } from "./dial.ts";
import { isValidNick } from "../protocol/validate.ts";
import { DEFAULT_CHANNEL } from "../shared/client_defaults.ts";
import { normalizeFingerprint } from "../tls/fingerprint.ts";

/**
 * The default server when none is given.
 *
 * @example
 * ```ts
 * import { DEFAULT_SERVER, parseServer } from "./args.ts";
 * parseServer(DEFAULT_SERVER).port; // 6667
 * ```
 */
export const DEFAULT_SERVER = "localhost:6667";
/**
 * The default channel list when none is given.
 *
 * @example
 * ```ts
 * import { DEFAULT_CHANNELS } from "./args.ts";
 * DEFAULT_CHANNELS; // ["#lobby"]
 * ```
 */
export const DEFAULT_CHANNELS = [DEFAULT_CHANNEL];

/**
 * What the command line asked for.
 *
 * @example
 * ```ts
 * import { type ClientArgs, parseClientArgs } from "./args.ts";
 * const a: ClientArgs = parseClientArgs(["--nick", "ann"]);
 * ```
 */
export interface ClientArgs {
  /** The server, parsed (the first of `--server a,b,c`). */
  target: ServerTarget;
  /** The other servers of `--server a,b,c`, tried in turn when the one before is gone. */
  alternates?: ServerTarget[];
  /** The nick, if given. */
  nick?: string;
  /** Channels to join. */
  channels: string[];
  /** `--help` was given. */
  help: boolean;
  /** `--version` was given. */
  version: boolean;
  /** No option at all was given (a double-clicked binary): ask interactively. */
  bare: boolean;
  /** `--line` forces the plain line mode even on a terminal. */
  line: boolean;
  /** `--fingerprint`: the expected SHA-256 of the server's certificate, `AB:CD:…`. */
  fingerprint?: string;
  /** `--user`: the account to log in to with SASL at connect. */
  user?: string;
  /** `--password-file`: where the account's password is (first line). */
  passwordFile?: string;
}

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { HELP_TEXT } from "./args.ts";
 * console.log(HELP_TEXT);
 * ```
 */
export const HELP_TEXT = `chat-client: a terminal chat client for deno-chat and any IRC server

Usage: chat-client [options]

Options:
  --server host[:port]   server to connect to (default ${DEFAULT_SERVER});
                         also irc://host:port or ircs://host:port (TLS); several,
                         comma-separated (nodes of one network), are tried in turn
  --nick NAME            your nickname (default: your user name)
  --join #a,#b           channels to join (default ${DEFAULT_CHANNELS.join(",")})
  --tls                  connect with TLS (default port 6697)
  --fingerprint SHA256   trust the server's self-signed certificate if it has this
                         SHA-256 fingerprint (hex, colons optional); it is then
                         remembered, as it is when you confirm it on a terminal
  --user NAME            log in to this account at connect (SASL PLAIN)
  --password-file FILE   the account's password, the first line of FILE (with --user;
                         without it, the account is your nick)
  --line                 plain line mode even on a terminal
  --help                 show this help
  --version              show the version

Without options on a terminal it asks for the server and the nickname.
When stdin is not a terminal it runs in line mode: each input line is sent to the
current channel (or run as a /command), each event is printed as one line.`;

/**
 * Parses `host`, `host:port`, `[v6]:port`, `irc://host:port` or `ircs://host:port`.
 * Throws an Error with a readable message on bad input.
 *
 * @example
 * ```ts
 * import { parseServer } from "./args.ts";
 * parseServer("example.org"); // { host: "example.org", port: 6667, tls: false }
 * parseServer("ircs://example.org"); // { host: "example.org", port: 6697, tls: true }
 * ```
 */
export function parseServer(spec: string, forceTls = false): ServerTarget {
  let rest = spec.trim();
  let tls = forceTls;
  const scheme = /^([a-z]+):\/\//i.exec(rest);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    if (s === "ircs") tls = true;
    else if (s !== "irc") throw new Error(`unknown scheme "${s}://" (use irc:// or ircs://)`);
    rest = rest.slice(scheme[0].length);
  }
  rest = rest.replace(/\/.*$/, ""); // ignore a path such as /#channel
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close === -1) throw new Error(`bad server address "${spec}"`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after.startsWith(":")) portText = after.slice(1);
    else if (after !== "") throw new Error(`bad server address "${spec}"`);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon !== -1 && rest.indexOf(":") === colon) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  if (host === "") throw new Error(`no host in "${spec}"`);
  let port = tls ? 6697 : 6667;
  if (portText !== undefined && portText !== "") {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new Error(`bad port "${portText}" in "${spec}"`);
    }
    port = Number(portText);
  }
  return { host, port, tls };
}

/**
 * Splits a `--join` value into channel names, adding '#' where it is missing.
 *
 * @example
 * ```ts
 * import { parseChannels } from "./args.ts";
 * parseChannels("#a, b"); // ["#a", "#b"]
 * ```
 */
export function parseChannels(value: string): string[] {
  return value.split(",").map((c) => c.trim()).filter((c) => c !== "").map((c) =>
    c.startsWith("#") || c.startsWith("&") ? c : "#" + c
  );
}

/**
 * Parses the command line. Throws an Error with a readable message on bad options.
 *
 * @example
 * ```ts
 * import { parseClientArgs } from "./args.ts";
 * const a = parseClientArgs(["--server", "127.0.0.1:7000", "--nick", "ann"]);
 * // a.target.port === 7000, a.nick === "ann", a.channels === ["#lobby"]
 * // `deno task client -- --nick ann` passes the "--" on
 * parseClientArgs(["--", "--nick", "ann"]).nick; // "ann"
 * ```
 */
export function parseClientArgs(argv: string[]): ClientArgs {
  if (argv[0] === "--") argv = argv.slice(1);
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      server: { type: "string" },
      nick: { type: "string" },
      join: { type: "string" },
      tls: { type: "boolean", default: false },
      line: { type: "boolean", default: false },
      fingerprint: { type: "string" },
      user: { type: "string" },
      "password-file": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", short: "V", default: false },
    },
  });
  const [target, ...alternates] = (values.server ?? DEFAULT_SERVER).split(",")
    .map((s) => parseServer(s, values.tls));
  if (values.nick !== undefined && !isValidNick(values.nick, 64)) {
    throw new Error(`"${values.nick}" is not a valid nickname`);
  }
  const channels = values.join !== undefined ? parseChannels(values.join) : DEFAULT_CHANNELS;
  let fingerprint: string | undefined;
  if (values.fingerprint !== undefined) {
    fingerprint = normalizeFingerprint(values.fingerprint);
    if (fingerprint === undefined) {
      throw new Error(
        `--fingerprint needs a SHA-256 fingerprint (64 hex digits, colons optional), got "${values.fingerprint}"`,
      );
    }
    if (!target.tls) throw new Error("--fingerprint is for TLS: add --tls or use ircs://");
  }
  if (values.user !== undefined && values["password-file"] === undefined) {
    throw new Error(
      "--user needs --password-file (the password is never given on the command line)",
    );
  }
  return {
    target,
    ...(alternates.length > 0 ? { alternates } : {}),
    nick: values.nick,
    channels,
    help: values.help,
    version: values.version,
    bare: argv.length === 0,
    line: values.line,
    fingerprint,
    user: values.user,
    passwordFile: values["password-file"],
  };
}

/**
 * A default nickname from the environment (USER, USERNAME), made valid, or "guest" plus
 * digits when nothing usable is found.
 *
 * @example
 * ```ts
 * import { defaultNick } from "./args.ts";
 * defaultNick({ USER: "Ann Lee" }); // "AnnLee"
 * ```
 */
export function defaultNick(
  env: Record<string, string | undefined>,
  random: () => number = Math.random,
): string {
  for (const key of ["USER", "USERNAME", "LOGNAME"]) {
    const raw = env[key];
    if (!raw) continue;
    const cleaned = raw.replace(/[^A-Za-z0-9_\-\[\]\\`^{|}]/g, "").replace(/^[0-9-]+/, "")
      .slice(0, 16);
    if (cleaned !== "" && isValidNick(cleaned, 16)) return cleaned;
  }
  return "guest" + String(Math.floor(random() * 9000) + 1000);
}
