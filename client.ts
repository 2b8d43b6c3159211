/**
 * chat-client: parses the command line, asks for server and nick when started bare on a
 * terminal, then runs the full-screen TUI (stdin is a terminal) or the plain line mode.
 *
 * @example
 * ```sh
 * deno run -A client.ts --server 127.0.0.1:6667 --nick ann --join '#lobby,#dev'
 * echo "hello" | deno run -A client.ts --nick bot
 * ```
 *
 * @module
 */

import {
  type ClientArgs,
  DEFAULT_SERVER,
  defaultNick,
  HELP_TEXT,
  parseClientArgs,
  parseServer,
} from "./lib/client/args.ts";
import { IrcClient } from "./lib/client/irc_client.ts";
import type { Credentials } from "./lib/client/registration.ts";
import { type Connection, dial, dialFirst, type ServerTarget } from "./lib/client/dial.ts";
import { KnownServers } from "./lib/client/known_servers.ts";
import { StsPolicies } from "./lib/client/sts.ts";
import { dialTls, type PeerCertificate, TrustError, type TrustOptions } from "./lib/client/tls.ts";
import { runLineMode } from "./lib/client/line_mode.ts";
import { isValidNick } from "./lib/protocol/validate.ts";
import { SOFTWARE, VERSION } from "./lib/version.ts";

function env(): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of ["USER", "USERNAME", "LOGNAME"]) {
    try {
      out[k] = Deno.env.get(k);
    } catch {
      // no env permission: fine
    }
  }
  return out;
}

/** Asks for server and nick on a terminal, showing the defaults. */
function ask(args: ClientArgs, nickDefault: string): ClientArgs {
  for (let i = 0; i < 5; i++) {
    const s = prompt(`Server [${DEFAULT_SERVER}]:`)?.trim() || DEFAULT_SERVER;
    try {
      args.target = parseServer(s);
      break;
    } catch (e) {
      console.error((e as Error).message);
    }
  }
  for (let i = 0; i < 5; i++) {
    const n = prompt(`Nickname [${nickDefault}]:`)?.trim() || nickDefault;
    if (isValidNick(n, 64)) {
      args.nick = n;
      break;
    }
    console.error(`"${n}" is not a valid nickname (letters, digits, - _ [ ] { } | ^ \`).`);
  }
  return args;
}

/** Shows an unknown certificate on the terminal and asks whether to trust it. */
function askTrust(peer: PeerCertificate): Promise<boolean> {
  console.log(
    `The server ${peer.key} has a certificate no authority vouches for (${peer.caProblem}).`,
  );
  console.log(`  subject:             ${peer.subject}`);
  console.log(`  valid until:         ${peer.validTo}`);
  console.log(`  SHA-256 fingerprint: ${peer.fingerprint}`);
  console.log("Compare the fingerprint with the one the server printed when it started.");
  const answer = prompt("Trust this certificate and remember it? [y/N]") ?? "";
  return Promise.resolve(/^\s*y(es)?\s*$/i.test(answer));
}

/** Reads the password file's first line; throws a readable Error. */
async function readPassword(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`cannot read the password file '${path}': ${(e as Error).message}`);
  }
  const password = text.split(/\r?\n/)[0];
  if (password === "") throw new Error(`the password file '${path}' is empty`);
  return password;
}

async function main(argv: string[]): Promise<number> {
  let args: ClientArgs;
  try {
    args = parseClientArgs(argv);
  } catch (e) {
    console.error(`chat-client: ${(e as Error).message}\nTry --help.`);
    return 2;
  }
  if (args.help) {
    console.log(HELP_TEXT);
    return 0;
  }
  if (args.version) {
    console.log(`chat-client (${SOFTWARE}) ${VERSION}`);
    return 0;
  }
  const tty = Deno.stdin.isTerminal();
  const nickDefault = defaultNick(env());
  if (args.bare && tty) args = ask(args, nickDefault);
  const nick = args.nick ?? nickDefault;
  const lineMode = !tty || args.line;
  let sasl: Credentials | undefined;
  if (args.passwordFile !== undefined) {
    try {
      sasl = { account: args.user ?? nick, password: await readPassword(args.passwordFile) };
    } catch (e) {
      console.error(`chat-client: ${(e as Error).message}`);
      return 2;
    }
  }
  // a server that told us before (over TLS) to use only TLS gets only TLS
  const sts = new StsPolicies();
  if (!args.target.tls) {
    const policy = await sts.get(args.target.host).catch(() => undefined);
    if (policy) {
      console.error(
        `chat-client: ${args.target.host} asked to be reached only over TLS (until ` +
          `${
            new Date(policy.expires).toISOString().slice(0, 10)
          }); connecting with TLS on port ${policy.port}`,
      );
      args = { ...args, target: { ...args.target, port: policy.port, tls: true } };
    }
  }
  const trust: TrustOptions = {
    known: new KnownServers(),
    fingerprint: args.fingerprint,
    onPinned: (peer, path) =>
      console.error(`chat-client: remembered the certificate of ${peer.key} in ${path}`),
  };
  // on a terminal, an unknown certificate is shown and the user asked, before the full
  // screen starts; that first connection is then used by the client
  let first: Connection | undefined;
  if (args.target.tls && !lineMode) {
    try {
      first = await dialTls(args.target, { ...trust, ask: askTrust });
    } catch (e) {
      if (e instanceof TrustError) {
        console.error(`chat-client: ${e.message}`);
        return 1;
      }
      // unreachable now: the client reports it and keeps trying
    }
  }
  const dialOne = (t: ServerTarget): Promise<Connection> => t.tls ? dialTls(t, trust) : dial(t);
  const alternates = args.alternates ?? [];
  const dialer = (t: ServerTarget): Promise<Connection> => {
    if (first) {
      const c = first;
      first = undefined;
      return Promise.resolve(c);
    }
    // --server a,b,c: the next node when one is gone
    if (alternates.length === 0) return dialOne(t);
    return dialFirst([t, ...alternates], dialOne, (e) => e instanceof TrustError);
  };
  const client = new IrcClient({
    target: args.target,
    nick,
    channels: args.channels,
    giveUpIfFirstConnectFails: lineMode,
    dialer,
    sasl,
    recordStsPolicy: (host, port, seconds) => sts.record(host, port, seconds),
  });
  if (lineMode) {
    const enc = new TextEncoder();
    return await runLineMode({
      client,
      input: Deno.stdin.readable,
      print: (l) => writeAll(enc.encode(l + "\n")),
      initialTarget: args.channels[0],
    });
  }
  const { runTui } = await import("./lib/tui/terminal.ts");
  return await runTui({ client, initialWindow: args.channels[0] });
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
