/**
 * chat-server: starts the deno-chat IRC server. All logic lives in lib/server; this file
 * turns flags into a config, starts the server, and stops it cleanly on Ctrl+C.
 *
 * @module
 */

import { lanAddresses, parseServerArgs } from "./lib/server/cli.ts";
import { ChatServer } from "./lib/server/server.ts";
import { ensureAdmin } from "./lib/server/accounts.ts";
import { parseCredentials } from "./lib/server/cli.ts";
import { MemoryStore } from "./lib/store/memory.ts";
import { SqliteStore, StoreOpenError } from "./lib/store/sqlite.ts";
import type { ChatStore } from "./lib/store/store.ts";
import { join } from "node:path";
import { startWeb, type WebServer } from "./lib/web/server.ts";

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

  // operator credentials kept in the data folder, one NAME:PASSWORD per line
  const opersFile = join(config.dataDir, "opers.txt");
  try {
    const text = await Deno.readTextFile(opersFile);
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const cred = parseCredentials(line);
      if (!cred) fail(`${opersFile} line ${i + 1}: expected NAME:PASSWORD`);
      if (!config.opers.has(cred.name)) config.opers.set(cred.name, cred.password);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      fail(`cannot read ${opersFile}: ${(err as Error).message}`);
    }
  }

  let store: ChatStore;
  try {
    store = config.storeKind === "memory"
      ? new MemoryStore()
      : SqliteStore.open(join(config.dataDir, "chat.db"));
  } catch (err) {
    if (err instanceof StoreOpenError) fail(err.message);
    throw err;
  }

  const server = new ChatServer(config, store);
  const adminNote = await ensureAdmin(server);
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
  console.log(
    config.storeKind === "sqlite"
      ? `data: ${join(config.dataDir, "chat.db")}`
      : "data: kept in memory only (--store memory)",
  );
  if (adminNote) console.log(adminNote);
  for (const ip of lanAddresses(config.host)) {
    console.log(`connect with: chat-client --server ${ip}:${server.port}`);
  }
  if (config.host === "0.0.0.0" || config.host === "127.0.0.1") {
    console.log(`on this machine: chat-client --server localhost:${server.port}`);
  }
  let web: WebServer | undefined;
  // a port the user asked for must be had; the default one (8080) is often taken by
  // something else, and the chat itself works without the web app, so then only warn
  const httpPortGiven = Deno.args.some((a) => a === "--http-port" || a.startsWith("--http-port="));
  if (config.httpPort !== 0) {
    try {
      web = await startWeb(server, { hostname: config.host, port: config.httpPort });
    } catch (err) {
      const why = err instanceof Deno.errors.AddrInUse
        ? `port ${config.httpPort} is already in use`
        : (err as Error).message;
      if (httpPortGiven) fail(`web chat: ${why}`);
      console.error(`chat-server: web chat is off: ${why} (choose another with --http-port)`);
    }
  }
  if (web) {
    console.log(`web chat listening on ${config.host}:${web.port}`);
    for (const ip of lanAddresses(config.host)) console.log(`web chat: http://${ip}:${web.port}/`);
    if (config.host === "0.0.0.0" || config.host === "127.0.0.1") {
      console.log(`web chat on this machine: http://localhost:${web.port}/`);
    }
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("shutting down...");
    await server.shutdown("Server shutting down");
    await web?.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os === "windows") Deno.addSignalListener("SIGBREAK", stop);
  else Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
