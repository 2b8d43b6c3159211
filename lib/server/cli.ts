/**
 * The server's command line: flags to a {@link ServerConfig}, the help text, and the
 * addresses to tell other machines. Errors come back as one sentence, never a stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SOFTWARE, VERSION } from "../version.ts";
import { DEFAULT_LIMITS, LIMIT_DESCRIPTIONS, type Limits, parseLimitOverride } from "./limits.ts";
import type { ServerConfig } from "./server.ts";

/** What the command line asks for: run with a config, print text and exit, or fail. */
export type CliResult =
  | { kind: "run"; config: ServerConfig; motdPath: string | undefined }
  | { kind: "print"; text: string }
  | { kind: "error"; message: string };

/**
 * The `--help` text, with every limit and its default.
 *
 * @example
 * ```ts
 * import { helpText } from "./cli.ts";
 * helpText().includes("--port"); // true
 * ```
 */
export function helpText(): string {
  const limits = (Object.keys(DEFAULT_LIMITS) as (keyof Limits)[])
    .map((k) =>
      `    ${k.padEnd(20)} ${String(DEFAULT_LIMITS[k]).padEnd(8)} ${LIMIT_DESCRIPTIONS[k]}`
    )
    .join("\n");
  return `${SOFTWARE} server ${VERSION}: a LAN chat server that speaks IRC.

Usage: chat-server [options]

Options:
  --host ADDR         address to listen on (default 0.0.0.0, every interface)
  --port N            IRC port, plain TCP (default 6667)
  --data DIR          data folder (default ./chat-data)
  --name NAME         server name shown to clients (default deno-chat.local)
  --network NAME      network name (default deno-chat)
  --motd FILE         message of the day, a UTF-8 text file
  --password PASS     server password clients must send with PASS (private chats)
  --limit NAME=VALUE  change a limit; repeatable (see below)
  --help              this text
  --version           the version

Limits (--limit NAME=VALUE; seconds and bytes):
${limits}

Example: chat-server --port 6667 --limit maxPerIp=50 --limit floodBurst=0
`;
}

/**
 * Parses the command line. Reads nothing from disk (the MOTD file path comes back to load).
 *
 * @example
 * ```ts
 * import { parseServerArgs } from "./cli.ts";
 * const r = parseServerArgs(["--port", "7000"]);
 * r.kind === "run" && r.config.port === 7000; // true
 * ```
 */
export function parseServerArgs(args: string[]): CliResult {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string", default: "0.0.0.0" },
        port: { type: "string", default: "6667" },
        data: { type: "string", default: "./chat-data" },
        name: { type: "string", default: "deno-chat.local" },
        network: { type: "string", default: "deno-chat" },
        motd: { type: "string" },
        password: { type: "string" },
        limit: { type: "string", multiple: true, default: [] },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    }));
  } catch (err) {
    return { kind: "error", message: `${(err as Error).message} (see --help)` };
  }
  if (values.help) return { kind: "print", text: helpText() };
  if (values.version) return { kind: "print", text: `${SOFTWARE} ${VERSION}` };

  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    return {
      kind: "error",
      message: `--port needs a number from 0 to 65535, got '${values.port}'`,
    };
  }
  if (!/^[A-Za-z0-9.\-_:]+$/.test(values.name) || values.name.length > 63) {
    return { kind: "error", message: `--name must be a host-like name, got '${values.name}'` };
  }
  if (values.password !== undefined && /[\s]/.test(values.password)) {
    return { kind: "error", message: "--password must not contain spaces" };
  }
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const spec of values.limit) {
    const err = parseLimitOverride(limits, spec);
    if (err) return { kind: "error", message: err };
  }
  return {
    kind: "run",
    motdPath: values.motd,
    config: {
      host: values.host,
      port,
      name: values.name,
      network: values.network,
      motd: undefined,
      password: values.password,
      dataDir: values.data,
      limits,
    },
  };
}

/**
 * The addresses other machines can use to reach a server listening on `host`: every
 * non-loopback IPv4 address when it listens on all interfaces, else just `host`.
 *
 * @example
 * ```ts ignore
 * lanAddresses("0.0.0.0"); // ["192.168.1.20"]
 * ```
 */
export function lanAddresses(host: string): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [host];
  try {
    return Deno.networkInterfaces()
      .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
      .map((i) => i.address);
  } catch {
    return []; // no --allow-sys: say nothing rather than fail
  }
}
