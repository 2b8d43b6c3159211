/**
 * The chat server in this process, over in-memory connections: a {@link ChatServer} with
 * the memory store and no listener, and clients that talk to it through
 * lib/transport/memory.ts. Fast and exact: no ports, no processes, no timing slack.
 *
 * @module
 */

import { ChatServer, type ServerConfig } from "../../lib/server/server.ts";
import { DEFAULT_LIMITS, type Limits } from "../../lib/server/limits.ts";
import { MemoryStore } from "../../lib/store/memory.ts";
import {
  memoryConnectionPair,
  type MemoryPairOptions,
  type MemoryPeer,
} from "../../lib/transport/memory.ts";
import { TestClient } from "./irc_client.ts";

/** The server name the in-process server uses (the source of its numerics). */
export const SERVER_NAME = "test.server";

/** A server running in this process, and how to connect clients to it. */
export interface InProcessServer {
  server: ChatServer;
  /** A new client connection (not registered yet). */
  connect(options?: MemoryPairOptions): TestClient;
  /** The memory side under a client made by {@link InProcessServer.connect} (to pause it). */
  peer(client: TestClient): MemoryPeer;
  /** Shuts the server down and closes every client made by {@link InProcessServer.connect}. */
  close(): Promise<void>;
}

/**
 * Builds a server with the memory store, `limits` over the defaults (flood control off
 * unless given), and no listener: clients come through {@link InProcessServer.connect}.
 *
 * @example
 * ```ts ignore
 * const t = startInProcess({ sendQ: 4096 });
 * const alice = t.connect();
 * await alice.register("alice");
 * await t.close();
 * ```
 */
export function startInProcess(
  limits: Partial<Limits> = {},
  config: Partial<ServerConfig> = {},
): InProcessServer {
  const full: ServerConfig = {
    host: "127.0.0.1",
    port: 0,
    name: SERVER_NAME,
    network: "TestNet",
    motd: undefined,
    password: undefined,
    dataDir: "/nonexistent",
    limits: { ...DEFAULT_LIMITS, floodBurst: 0, ...limits },
    httpPort: 0,
    storeKind: "memory",
    requireAccount: false,
    openRegistration: true,
    opers: new Map(),
    admin: undefined,
    // no operator's log unless a test asks for one: it would fill the test output
    quiet: true,
    ...config,
  };
  const server = new ChatServer(full, new MemoryStore());
  const clients = new Map<TestClient, MemoryPeer>();
  return {
    server,
    connect(options?: MemoryPairOptions): TestClient {
      const pair = memoryConnectionPair(options);
      const client = TestClient.over(pair.client);
      clients.set(client, pair.client);
      server.addConnection(pair.server);
      return client;
    },
    peer(client: TestClient): MemoryPeer {
      const peer = clients.get(client);
      if (!peer) throw new Error("not a client of this server");
      return peer;
    },
    async close(): Promise<void> {
      await server.shutdown("Test over");
      await Promise.all([...clients.keys()].map((c) => c.close()));
    },
  };
}
