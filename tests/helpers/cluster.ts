/**
 * A test cluster: one `redis-server` and one PostgreSQL of their own (tests/helpers/redis.ts,
 * postgres.ts) and server processes on them, each a node of one chat.
 *
 * @module
 */

import { TestClient } from "./irc_client.ts";
import { postgresBinDir, startPostgres, type TestPostgres } from "./postgres.ts";
import { haveRedis, startRedis, type TestRedis } from "./redis.ts";
import { type RunningServer, startServer } from "./server_process.ts";

/** Whether the cluster tests cannot run here (no redis-server or no PostgreSQL). */
export const noCluster = !haveRedis() || postgresBinDir() === undefined;

/** A running test cluster. */
export interface Cluster {
  redis: TestRedis;
  pg: TestPostgres;
  /** The store URL every node uses. */
  url: string;
  nodes: RunningServer[];
  clients: TestClient[];
}

/**
 * Starts Redis, PostgreSQL and `count` nodes (`a`, `b`, `c`), one after another: each new
 * node asks the running ones for their state.
 *
 * @example
 * ```ts ignore
 * const c = await startCluster(2);
 * const ann = await clusterClient(c, 0, "ann");
 * await stopCluster(c);
 * ```
 */
export async function startCluster(count = 3, web = false): Promise<Cluster> {
  const redis = await startRedis({ aof: true });
  const pg = await startPostgres();
  const url = await pg.newDatabase();
  const c: Cluster = { redis, pg, url, nodes: [], clients: [] };
  for (const id of ["a", "b", "c"].slice(0, count)) await addNode(c, id, web);
  return c;
}

/** Starts one more node (`extra` flags after the cluster's). */
export async function addNode(
  c: Cluster,
  id: string,
  web = false,
  extra: string[] = [],
): Promise<RunningServer> {
  const node = await startServer(
    ["--cluster", c.redis.url, "--node-id", id, "--store", c.url, ...extra],
    undefined,
    { web },
  );
  await node.waitForOutput(/^cluster mode: node /);
  c.nodes.push(node);
  return node;
}

/** Closes the clients, stops the nodes, Redis and PostgreSQL. */
export async function stopCluster(c: Cluster): Promise<void> {
  for (const cl of c.clients) await cl.close();
  for (const n of c.nodes) await n.stop().catch(() => {});
  await c.redis.stop();
  await c.pg.stop();
}

/** A client registered as `nick` on node `node` (with echo-message and the given caps). */
export async function clusterClient(
  c: Cluster,
  node: number,
  nick: string,
  caps: string[] = [],
): Promise<TestClient> {
  const cl = await TestClient.connect(c.nodes[node].port);
  c.clients.push(cl);
  await cl.register(nick, ["echo-message", ...caps]);
  return cl;
}
