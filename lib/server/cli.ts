/**
 * The server's command line: flags to a {@link ServerConfig}, the help text, and the
 * addresses to tell other machines. Errors come back as one sentence, never a stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SOFTWARE, VERSION } from "../version.ts";
import { isPostgresUrl } from "../store/open.ts";
import { DEFAULT_LIMITS, LIMIT_DESCRIPTIONS, type Limits, parseLimitOverride } from "./limits.ts";
import type { ServerConfig } from "./server.ts";

/** What the command line asks for: run with a config, print text and exit, or fail. */
export type CliResult =
  | {
    kind: "run";
    config: ServerConfig;
    motdPath: string | undefined;
    /** Whether --data was given; if not, server.ts applies the default folder rule. */
    dataDirGiven: boolean;
  }
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
  --http-port N       web chat and IRC-over-WebSocket port (default 8080; 0 turns it off);
                      HTTPS/WSS with the TLS certificate whenever TLS is on
  --no-web-tls        keep the web chat on plain HTTP even when TLS is on
  --tls-port N        IRC over TLS port (default 6697; 0 turns it off); without
                      --tls-cert/--tls-key the server makes its own certificate in
                      the data folder on first start and prints its fingerprint
  --tls-cert FILE     TLS certificate (chain), PEM, e.g. from a real CA
  --tls-key FILE      its private key, PEM
  --no-plaintext      no plain-text IRC port: TLS only
  --data DIR          data folder (default: chat-data in the current folder or, when
                      that is read-only or in C:\\Windows, the user's app data folder)
  --name NAME         server name shown to clients (default deno-chat.local)
  --network NAME      network name (default deno-chat)
  --motd FILE         message of the day, a UTF-8 text file
  --password PASS     server password clients must send with PASS (private chats)
  --store KIND        sqlite (default: accounts, channels and history survive restarts
                      in the data folder), memory (nothing is kept), or a PostgreSQL
                      URL postgres://USER@HOST:PORT/DB
  --store-password-file FILE
                      the PostgreSQL password: the first line of FILE (or set
                      DENO_CHAT_STORE_PASSWORD); never put it in the URL or a flag
  --cluster URL       run as one node of several: redis://HOST:PORT of the Redis that
                      carries the events between nodes (all nodes need the same
                      --store postgres://…); see docs/server.md
  --node-id ID        this node's name in the cluster (default: made once and kept in
                      the data folder's node-id file)
  --require-account   only logged-in users may join channels and send messages
  --no-open-registration
                      only operators may create accounts (open by default)
  --oper NAME:PASS    operator credentials for OPER; repeatable (also read from
                      opers.txt in the data folder, one NAME:PASS per line)
  --admin NAME:PASS   create (or reset) this operator account at start; without it the
                      first start creates 'admin' and prints its password once
  --limit NAME=VALUE  change a limit; repeatable (see below)
  --quiet             log only warnings and errors (no line per connection, login,
                      kick...); the start-up lines are still printed
  --log-format F      text (default: time, event, key=value...) or json (one JSON
                      object per line: time, level, event and the event's fields)
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
 * // `deno task start -- --port 7000` passes the "--" on
 * const t = parseServerArgs(["--", "--port", "7000"]);
 * t.kind === "run" && t.config.port === 7000; // true
 * ```
 */
export function parseServerArgs(args: string[]): CliResult {
  if (args[0] === "--") args = args.slice(1);
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string", default: "0.0.0.0" },
        port: { type: "string", default: "6667" },
        "http-port": { type: "string", default: "8080" },
        "tls-port": { type: "string", default: "6697" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "no-plaintext": { type: "boolean", default: false },
        "no-web-tls": { type: "boolean", default: false },
        data: { type: "string" },
        name: { type: "string", default: "deno-chat.local" },
        network: { type: "string", default: "deno-chat" },
        motd: { type: "string" },
        password: { type: "string" },
        store: { type: "string", default: "sqlite" },
        "store-password-file": { type: "string" },
        cluster: { type: "string" },
        "node-id": { type: "string" },
        "require-account": { type: "boolean", default: false },
        "open-registration": { type: "boolean", default: true },
        "no-open-registration": { type: "boolean", default: false },
        oper: { type: "string", multiple: true, default: [] },
        admin: { type: "string" },
        limit: { type: "string", multiple: true, default: [] },
        quiet: { type: "boolean", short: "q", default: false },
        "log-format": { type: "string", default: "text" },
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
  const httpPort = Number(values["http-port"]);
  if (!/^\d+$/.test(values["http-port"]) || httpPort > 65535) {
    return {
      kind: "error",
      message: `--http-port needs a number from 0 to 65535, got '${values["http-port"]}'`,
    };
  }
  const tlsPort = Number(values["tls-port"]);
  if (!/^\d+$/.test(values["tls-port"]) || tlsPort > 65535) {
    return {
      kind: "error",
      message: `--tls-port needs a number from 0 to 65535, got '${values["tls-port"]}'`,
    };
  }
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    return { kind: "error", message: "--tls-cert and --tls-key go together: give both" };
  }
  if (values["no-plaintext"] && tlsPort === 0) {
    return { kind: "error", message: "--no-plaintext needs TLS: --tls-port must not be 0" };
  }
  if (!/^[A-Za-z0-9.\-_:]+$/.test(values.name) || values.name.length > 63) {
    return { kind: "error", message: `--name must be a host-like name, got '${values.name}'` };
  }
  if (values.password !== undefined && /[\s]/.test(values.password)) {
    return { kind: "error", message: "--password must not contain spaces" };
  }
  const postgresUrl = isPostgresUrl(values.store) ? values.store : undefined;
  if (values.store !== "sqlite" && values.store !== "memory" && !postgresUrl) {
    return {
      kind: "error",
      message: `--store is sqlite, memory or postgres://USER@HOST:PORT/DB, got '${values.store}'`,
    };
  }
  if (postgresUrl) {
    let url: URL;
    try {
      url = new URL(postgresUrl);
    } catch {
      return { kind: "error", message: `--store: '${postgresUrl}' is not a valid URL` };
    }
    if (url.password) {
      return {
        kind: "error",
        message:
          "--store: keep the password out of the URL (others can see it in the process list); use --store-password-file or DENO_CHAT_STORE_PASSWORD",
      };
    }
  }
  if (values["store-password-file"] !== undefined && !postgresUrl) {
    return { kind: "error", message: "--store-password-file goes with --store postgres://…" };
  }
  const clusterUrl = values.cluster;
  if (clusterUrl !== undefined) {
    if (!/^rediss?:\/\/[^\s/]+(\/\d*)?$/.test(clusterUrl)) {
      return { kind: "error", message: `--cluster needs redis://HOST:PORT, got '${clusterUrl}'` };
    }
    if (!postgresUrl) {
      return {
        kind: "error",
        message: "--cluster needs --store postgres://…: every node must share one store",
      };
    }
  }
  const nodeId = values["node-id"];
  if (nodeId !== undefined && !/^[A-Za-z0-9._-]{1,32}$/.test(nodeId)) {
    return {
      kind: "error",
      message: `--node-id takes 1 to 32 letters, digits, '.', '_' or '-', got '${nodeId}'`,
    };
  }
  if (nodeId !== undefined && clusterUrl === undefined) {
    return { kind: "error", message: "--node-id goes with --cluster redis://…" };
  }
  const logFormat = values["log-format"];
  if (logFormat !== "text" && logFormat !== "json") {
    return { kind: "error", message: `--log-format is text or json, got '${logFormat}'` };
  }
  const opers = new Map<string, string>();
  for (const spec of values.oper) {
    const cred = parseCredentials(spec);
    if (!cred) return { kind: "error", message: `--oper takes NAME:PASSWORD, got '${spec}'` };
    opers.set(cred.name, cred.password);
  }
  let admin: { name: string; password: string } | undefined;
  if (values.admin !== undefined) {
    admin = parseCredentials(values.admin);
    if (!admin) return { kind: "error", message: "--admin takes NAME:PASSWORD" };
  }
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const spec of values.limit) {
    const err = parseLimitOverride(limits, spec);
    if (err) return { kind: "error", message: err };
  }
  return {
    kind: "run",
    motdPath: values.motd,
    dataDirGiven: values.data !== undefined,
    config: {
      host: values.host,
      port,
      name: values.name,
      network: values.network,
      motd: undefined,
      password: values.password,
      dataDir: values.data ?? "./chat-data",
      limits,
      httpPort,
      tlsPort,
      tlsCertFile: values["tls-cert"],
      tlsKeyFile: values["tls-key"],
      plaintext: !values["no-plaintext"],
      webTls: !values["no-web-tls"],
      storeKind: postgresUrl ? "postgres" : values.store as "sqlite" | "memory",
      storeUrl: postgresUrl,
      storePasswordFile: values["store-password-file"],
      cluster: clusterUrl === undefined ? undefined : { url: clusterUrl, nodeId },
      requireAccount: values["require-account"],
      openRegistration: values["open-registration"] && !values["no-open-registration"],
      opers,
      admin,
      logFormat,
      quiet: values.quiet,
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

/**
 * Splits `NAME:PASSWORD` (the password may contain ':'); undefined if either part is empty.
 *
 * @example
 * ```ts
 * import { parseCredentials } from "./cli.ts";
 * parseCredentials("root:a:b"); // { name: "root", password: "a:b" }
 * ```
 */
export function parseCredentials(spec: string): { name: string; password: string } | undefined {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1) return undefined;
  return { name: spec.slice(0, i), password: spec.slice(i + 1) };
}
