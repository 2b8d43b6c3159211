/**
 * chat-server: starts the deno-chat IRC server. All logic lives in lib/server; this file
 * turns flags into a config, starts the server, and stops it cleanly on Ctrl+C.
 *
 * @module
 */

import { lanAddresses, parseServerArgs } from "./lib/server/cli.ts";
import { ChatServer } from "./lib/server/server.ts";
import { Logger } from "./lib/server/log.ts";
import { installCrashGuard } from "./lib/server/crash_guard.ts";
import { authenticate as authenticateAccount, ensureAdmin } from "./lib/server/accounts.ts";
import { parseCredentials } from "./lib/server/cli.ts";
import { openStore } from "./lib/store/open.ts";
import { StoreOpenError } from "./lib/store/sqlite.ts";
import type { ChatStore } from "./lib/store/store.ts";
import { join } from "node:path";
import { startWeb, type WebServer } from "./lib/web/server.ts";
import { UPLOAD_PATH, Uploads } from "./lib/web/uploads.ts";
import { CertificateError, loadOrCreateCertificate } from "./lib/tls/certificate.ts";
import { defaultDataDir } from "./lib/platform/data_dir.ts";
import { pauseOnFatal } from "./lib/platform/console.ts";
import { keepPrivate, makePrivateDir } from "./lib/platform/private_files.ts";
import { writePath } from "./lib/transport/socket_send.ts";
import { ClusterEvents } from "./lib/cluster/cluster_events.ts";
import { ClusterNode, loadNodeId } from "./lib/cluster/node.ts";

function fail(message: string): never {
  console.error(`chat-server: ${message}`);
  // a double-clicked server's console window would close before this could be read
  pauseOnFatal();
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
  // the start-up lines go through the log too (one JSON object each with --log-format json)
  const log = new Logger({ format: config.logFormat, quiet: config.quiet });
  // every check of the command line first: a mistyped flag must leave nothing behind, and
  // choosing the default data folder creates it
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
  if (!parsed.dataDirGiven) {
    const choice = defaultDataDir();
    config.dataDir = choice.path;
    log.notice(`data folder: ${choice.path} (${choice.reason}; choose another with --data)`);
  }
  try {
    await makePrivateDir(config.dataDir);
  } catch (err) {
    fail(`cannot create the data folder '${config.dataDir}': ${(err as Error).message}`);
  }

  // operator credentials kept in the data folder, one NAME:PASSWORD per line
  const opersFile = join(config.dataDir, "opers.txt");
  try {
    const text = await Deno.readTextFile(opersFile);
    // it holds passwords in the clear
    try {
      if (keepPrivate(opersFile)) {
        log.notice(`${opersFile} held passwords others could read: now 0600`);
      }
    } catch (err) {
      log.notice(
        `chat-server: ${opersFile} is readable by others and cannot be made private: ${
          (err as Error).message
        }`,
        "warn",
      );
    }
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
    store = await openStore({
      kind: config.storeKind,
      dataDir: config.dataDir,
      url: config.storeUrl,
      passwordFile: config.storePasswordFile,
    });
  } catch (err) {
    if (err instanceof StoreOpenError) fail(err.message);
    throw err;
  }

  // TLS: the certificate is loaded, or made on first start, before anything listens
  let cert: Awaited<ReturnType<typeof loadOrCreateCertificate>> | undefined;
  if ((config.tlsPort ?? 0) !== 0) {
    try {
      cert = await loadOrCreateCertificate(config.dataDir, {
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
      });
    } catch (err) {
      if (err instanceof CertificateError) fail(err.message);
      throw err;
    }
    config.tls = cert;
  }

  // several nodes: the bus is up (and the peers asked for their state) before anyone connects
  let node: ClusterNode | undefined;
  const clusterEvents = config.cluster ? new ClusterEvents() : undefined;
  const server = new ChatServer(config, store, clusterEvents);
  if (config.cluster && clusterEvents) {
    let nodeId = config.cluster.nodeId;
    try {
      nodeId ??= await loadNodeId(config.dataDir);
    } catch (err) {
      fail(`cannot keep the node id in '${config.dataDir}': ${(err as Error).message}`);
    }
    node = new ClusterNode(server, clusterEvents, {
      url: config.cluster.url,
      nodeId,
      onFatal: (message) => {
        console.error(`chat-server: ${message}`);
        Deno.exit(3);
      },
    });
    try {
      await node.start();
    } catch (err) {
      fail(`cannot join the cluster at ${config.cluster.url}: ${(err as Error).message}`);
    }
    server.cluster = node;
  }
  const tryStart = async (): Promise<unknown> => {
    try {
      await server.start();
      return undefined;
    } catch (err) {
      return err;
    }
  };
  let startError = await tryStart();
  // like the web port: the default TLS port may be taken by something else; plain IRC
  // still works, so only warn. A port asked for, or a TLS-only server, must have it.
  const tlsPortGiven = Deno.args.some((a) => a === "--tls-port" || a.startsWith("--tls-port="));
  if (
    startError instanceof Deno.errors.AddrInUse && server.failedListener === "tls" &&
    !tlsPortGiven && config.plaintext !== false
  ) {
    log.notice(
      `chat-server: TLS is off: port ${config.tlsPort} is already in use (choose another with --tls-port)`,
      "warn",
    );
    config.tlsPort = 0;
    startError = await tryStart();
  }
  if (startError !== undefined) {
    const err = startError;
    const port = server.failedListener === "tls" ? config.tlsPort : config.port;
    if (err instanceof Deno.errors.AddrInUse) {
      fail(`port ${port} on ${config.host} is already in use (is another server running?)`);
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      fail(`not allowed to listen on ${config.host}:${port}: ${err.message}`);
    }
    fail(`cannot listen on ${config.host}:${port}: ${(err as Error).message}`);
  }

  // only now: a start that failed (a port in use) must not leave behind an admin account
  // whose generated password nobody saw
  const adminNote = await ensureAdmin(server);
  log.notice(
    `deno-chat server '${config.name}' listening on ${config.host}:${server.port}` +
      (config.plaintext === false ? " (TLS only)" : ""),
  );
  // the direct path needs Linux/glibc and the FFI permission; say which one this run got
  log.notice(`write path: ${writePath()}`);
  if (cert && server.tlsPort !== 0) {
    log.notice(
      `TLS on ${config.host}:${server.tlsPort} with ` +
        (cert.selfSigned
          ? `its own certificate${cert.created ? ", created now," : ""} in ${cert.certPath}`
          : `the certificate ${cert.certPath}`),
    );
    log.notice(`TLS certificate SHA-256 fingerprint: ${cert.fingerprint}`);
  }
  log.notice(
    config.storeKind === "sqlite"
      ? `data: ${join(config.dataDir, "chat.db")}`
      : config.storeKind === "postgres"
      ? `data: PostgreSQL at ${config.storeUrl}`
      : "data: kept in memory only (--store memory)",
  );
  if (adminNote) log.notice(adminNote);
  if (node) {
    const st = node.clusterStatus();
    log.notice(
      `cluster mode: node ${st.nodeId} (incarnation ${node.incarnation}) on ${
        config.cluster!.url
      }, ${st.peers} peer${st.peers === 1 ? "" : "s"}`,
    );
  }
  for (const ip of lanAddresses(config.host)) {
    if (config.plaintext !== false) {
      log.notice(`connect with: chat-client --server ${ip}:${server.port}`);
    }
    if (server.tlsPort !== 0) {
      log.notice(`connect with TLS: chat-client --server ircs://${ip}:${server.tlsPort}`);
    }
  }
  if (config.host === "0.0.0.0" || config.host === "127.0.0.1") {
    log.notice(
      `on this machine: chat-client --server ` +
        (config.plaintext === false
          ? `ircs://localhost:${server.port}`
          : `localhost:${server.port}`),
    );
  }
  let web: WebServer | undefined;
  // a port the user asked for must be had; the default one (8080) is often taken by
  // something else, and the chat itself works without the web app, so then only warn
  const httpPortGiven = Deno.args.some((a) => a === "--http-port" || a.startsWith("--http-port="));
  if (config.httpPort !== 0) {
    try {
      const webTls = config.webTls !== false && config.tls && server.tlsPort !== 0
        ? { cert: config.tls.certPem, key: config.tls.keyPem }
        : undefined;
      const uploads = new Uploads({
        store: server.store,
        limits: server.limits,
        dir: join(config.dataDir, "uploads"),
        // an upload is not one more device: the account's device limit does not apply
        authenticate: async (name, password, ip) => {
          const r = await authenticateAccount(server, name, password, ip, false);
          if (r.ok) return r;
          // a store that is away: a 503 "try again in a moment", as when hashing is busy
          if (r.reason === "unavailable") return { ok: false, reason: "busy" };
          return r.reason !== "sessions" ? r : { ok: false, reason: "invalid" };
        },
      });
      web = await startWeb(server, {
        hostname: config.host,
        port: config.httpPort,
        tls: webTls,
        uploads,
      });
      if (uploads.enabled) {
        // an address others can reach: the one listened on, or this machine's first on the LAN
        const host = lanAddresses(config.host)[0] ?? "localhost";
        const scheme = web.secure ? "https" : "http";
        server.fileHost = `${scheme}://${
          host.includes(":") ? `[${host}]` : host
        }:${web.port}${UPLOAD_PATH}`;
      }
    } catch (err) {
      const why = err instanceof Deno.errors.AddrInUse
        ? `port ${config.httpPort} is already in use`
        : (err as Error).message;
      if (httpPortGiven) fail(`web chat: ${why}`);
      log.notice(`chat-server: web chat is off: ${why} (choose another with --http-port)`, "warn");
    }
  }
  if (web) {
    log.notice(`web chat listening on ${config.host}:${web.port}`);
    const scheme = web.secure ? "https" : "http";
    for (const ip of lanAddresses(config.host)) {
      log.notice(`web chat: ${scheme}://${ip}:${web.port}/`);
    }
    if (config.host === "0.0.0.0" || config.host === "127.0.0.1") {
      log.notice(`web chat on this machine: ${scheme}://localhost:${web.port}/`);
    }
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.notice("shutting down...");
    await server.shutdown("Server shutting down");
    await node?.stop();
    await web?.shutdown();
    Deno.exit(0);
  };
  installCrashGuard((line) => log.notice(line, "error"));
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os === "windows") {
    Deno.addSignalListener("SIGBREAK", stop);
    // closing the console window (CTRL_CLOSE_EVENT); Windows allows about 5 s to finish
    Deno.addSignalListener("SIGHUP", stop);
  } else Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    // unexpected, before the server runs (once it runs, the crash guard takes over)
    console.error("chat-server: could not start:", err);
    pauseOnFatal();
    Deno.exit(1);
  }
}
