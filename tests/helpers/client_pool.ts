/**
 * The raw test clients of one end-to-end test, so each test file need not repeat how to
 * connect, register, join and clean up.
 *
 * @module
 */

import { TestClient } from "./irc_client.ts";

/**
 * Connects test clients to one server and remembers them for cleanup.
 *
 * @example
 * ```ts ignore
 * const { clients, user } = new ClientPool(server.port);
 * const alice = await user("alice", ["server-time"]);
 * await join(alice, "#room");
 * await Promise.all(clients.map((c) => c.close()));
 * ```
 */
export class ClientPool {
  readonly port: number;
  /** Every client connected through the pool. */
  readonly clients: TestClient[] = [];

  constructor(port: number) {
    this.port = port;
  }

  /** Connects a client without registering it. */
  readonly connect = async (): Promise<TestClient> => {
    const c = await TestClient.connect(this.port);
    this.clients.push(c);
    return c;
  };

  /** Connects and registers a client, with the capabilities asked for. */
  readonly user = async (nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await this.connect();
    await c.register(nick, caps);
    return c;
  };
}

/** Joins a channel and waits for the end of its NAMES. */
export async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  const escaped = channel.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
  await c.expect(new RegExp(` 366 \\S+ ${escaped} `, "i"));
}
