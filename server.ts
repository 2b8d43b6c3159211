/**
 * chat-server: starts the deno-chat IRC server. All logic lives in lib/server; this file
 * turns flags into a config, starts the server, and stops it cleanly on Ctrl+C.
 *
 * @module
 */

import { lanAddresses, parseServerArgs } from "./lib/server/cli.ts";
import { ChatServer } from "./lib/server/server.ts";

function fail(message: string): never {
  console.error(`chat-server: ${message}`);
  Deno.exit(2);
}

async function main(): Promise<void> {
  const parsed = parseServerArgs(Deno.args);
  if (parsed.kind === "print") {
    console.log(parsed.text);
    return;
  }
  if (parsed.kind === "error") fail(parsed.message);
  const { config, motdPath } = parsed;

  if (motdPath !== undefined) {
    try {
      config.motd = (await Deno.readTextFile(motdPath)).replace(/\r/g, "").split("\n");
      while (config.motd.length > 0 && config.motd[config.motd.length - 1] === "") {
        config.motd.pop();
      }
    } catch (err) {
      fail(`cannot read the MOTD file '${motdPath}': ${(err as Error).message}`);
    }
  }
  try {
    await Deno.mkdir(config.dataDir, { recursive: true });
  } catch (err) {
    fail(`cannot create the data folder '${config.dataDir}': ${(err as Error).message}`);
  }

  const server = new ChatServer(config);
  try {
    await server.start();
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      fail(`port ${config.port} on ${config.host} is already in use (is another server running?)`);
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      fail(`not allowed to listen on ${config.host}:${config.port}: ${err.message}`);
    }
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }

  console.log(`deno-chat server '${config.name}' listening on ${config.host}:${server.port}`);
  for (const ip of lanAddresses(config.host)) {
    console.log(`connect with: chat-client --server ${ip}:${server.port}`);
  }
  if (config.host === "0.0.0.0" || config.host === "127.0.0.1") {
    console.log(`on this machine: chat-client --server localhost:${server.port}`);
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("shutting down...");
    await server.shutdown("Server shutting down");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os === "windows") Deno.addSignalListener("SIGBREAK", stop);
  else Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
