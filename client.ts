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
  const client = new IrcClient({
    target: args.target,
    nick,
    channels: args.channels,
    giveUpIfFirstConnectFails: lineMode,
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
  const { runTui } = await import("./lib/tui/app.ts");
  return await runTui({ client, initialWindow: args.channels[0] });
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
