/**
 * `/metrics` in the Prometheus text exposition format: connections by transport, users,
 * channels, the write path in use, and the server's counters.
 *
 * @module
 */

import type { ClusterStatus } from "../server/events.ts";
import type { TransportKind } from "../transport/connection.ts";
import { wsCounters } from "../transport/websocket.ts";
import { directSendCounters, type WritePath, writePath } from "../transport/socket_send.ts";

/** What the metrics are read from; `ChatServer` has all of it. */
export interface MetricsSource {
  readonly sessions: Iterable<{ readonly conn: { readonly kind: TransportKind } }>;
  readonly channels: { readonly size: number };
  readonly counts: { readonly users: number };
  readonly stats: {
    readonly linesIn: number;
    readonly messagesRelayed: number;
    readonly sendQDrops: number;
    readonly peakUsers: number;
  };
  /** Set on a node of a cluster. */
  readonly cluster?: ClusterStatus | undefined;
  /** The store, for whether it answers (a PostgreSQL one can be away). */
  readonly store?: { available(): boolean };
}

const KINDS: readonly TransportKind[] = ["tcp", "tls", "websocket"];
const WRITE_PATHS: readonly WritePath[] = ["direct send(2)", "Deno write"];

/**
 * Counts open connections per transport kind (every kind present, zero when none).
 *
 * @example
 * ```ts
 * import { connectionsByKind } from "./metrics.ts";
 * const sessions = [{ conn: { kind: "tcp" as const } }, { conn: { kind: "websocket" as const } }];
 * connectionsByKind(sessions); // { tcp: 1, tls: 0, websocket: 1 }
 * ```
 */
export function connectionsByKind(
  sessions: Iterable<{ readonly conn: { readonly kind: TransportKind } }>,
): Record<TransportKind, number> {
  const counts: Record<TransportKind, number> = { tcp: 0, tls: 0, websocket: 0 };
  for (const s of sessions) counts[s.conn.kind]++;
  return counts;
}

/**
 * Renders the metrics page.
 *
 * @example
 * ```ts
 * import { renderMetrics } from "./metrics.ts";
 * import { ok } from "node:assert/strict";
 * const text = renderMetrics({
 *   sessions: [],
 *   channels: { size: 2 },
 *   counts: { users: 0 },
 *   stats: { linesIn: 5, messagesRelayed: 1, sendQDrops: 0, peakUsers: 3 },
 * });
 * ok(text.includes("chat_channels 2"));
 * ok(/^chat_write_path\{path="(direct send\(2\)|Deno write)"\} 1$/m.test(text));
 * ```
 */
export function renderMetrics(source: MetricsSource): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  const byKind = connectionsByKind(source.sessions);
  metric(
    "chat_connections",
    "gauge",
    "Open client connections by transport.",
    KINDS.map((k) => `chat_connections{transport="${k}"} ${byKind[k]}`),
  );
  const path = writePath();
  metric(
    "chat_write_path",
    "gauge",
    "How plain TCP output is written: 1 for the path in use.",
    WRITE_PATHS.map((p) => `chat_write_path{path="${p}"} ${p === path ? 1 : 0}`),
  );
  metric(
    "chat_direct_send_fallbacks_total",
    "counter",
    "TCP connections written with Deno's write because their descriptor did not match them.",
    [`chat_direct_send_fallbacks_total ${directSendCounters.mismatched}`],
  );
  metric("chat_users", "gauge", "Registered users.", [`chat_users ${source.counts.users}`]);
  metric("chat_users_peak", "gauge", "Most users registered at once since start.", [
    `chat_users_peak ${source.stats.peakUsers}`,
  ]);
  metric("chat_channels", "gauge", "Channels that exist.", [
    `chat_channels ${source.channels.size}`,
  ]);
  metric("chat_lines_in_total", "counter", "Lines received from clients.", [
    `chat_lines_in_total ${source.stats.linesIn}`,
  ]);
  metric("chat_messages_relayed_total", "counter", "PRIVMSG/NOTICE/TAGMSG relayed.", [
    `chat_messages_relayed_total ${source.stats.messagesRelayed}`,
  ]);
  metric("chat_sendq_drops_total", "counter", "Clients dropped for SendQ exceeded.", [
    `chat_sendq_drops_total ${source.stats.sendQDrops}`,
  ]);
  metric(
    "chat_websocket_bytes_in_total",
    "counter",
    "Bytes of IRC lines received over WebSocket.",
    [
      `chat_websocket_bytes_in_total ${wsCounters.bytesIn}`,
    ],
  );
  metric("chat_websocket_bytes_out_total", "counter", "Bytes of IRC lines sent over WebSocket.", [
    `chat_websocket_bytes_out_total ${wsCounters.bytesOut}`,
  ]);
  metric(
    "chat_websocket_inbox_overflows_total",
    "counter",
    "WebSocket clients closed for sending faster than their input could be handled.",
    [`chat_websocket_inbox_overflows_total ${wsCounters.inboxOverflows}`],
  );
  if (source.store) {
    metric("chat_store_available", "gauge", "1 while the store answers.", [
      `chat_store_available ${source.store.available() ? 1 : 0}`,
    ]);
  }
  const c = source.cluster?.clusterStatus();
  if (c) {
    metric("chat_cluster_connected", "gauge", "1 while the bus's Redis connection is up.", [
      `chat_cluster_connected{node="${c.nodeId}"} ${c.connected && !c.fenced ? 1 : 0}`,
    ]);
    metric("chat_cluster_events_in_total", "counter", "Events read from the bus.", [
      `chat_cluster_events_in_total ${c.eventsIn}`,
    ]);
    metric("chat_cluster_events_out_total", "counter", "Events published on the bus.", [
      `chat_cluster_events_out_total ${c.eventsOut}`,
    ]);
    metric("chat_cluster_lease_age_seconds", "gauge", "Time since the lease was renewed.", [
      `chat_cluster_lease_age_seconds ${(c.leaseAgeMs / 1000).toFixed(3)}`,
    ]);
    metric("chat_cluster_history_backlog", "gauge", "Messages waiting for the store.", [
      `chat_cluster_history_backlog ${c.historyBacklog}`,
    ]);
    metric(
      "chat_cluster_stuck_connections_total",
      "counter",
      "Connections to Redis that stopped answering and were replaced.",
      [`chat_cluster_stuck_connections_total ${c.stuckConnections}`],
    );
    metric("chat_cluster_peers", "gauge", "Other nodes of the cluster seen.", [
      `chat_cluster_peers ${c.peers}`,
    ]);
  }
  return out.join("\n") + "\n";
}

/**
 * The `/healthz` answer: `ok`, or on a cluster node the bus state (503 while the bus is
 * down or the node fenced, so a load balancer stops sending clients to it), the store's
 * (`store ok` or `store unavailable`) and the history queue's backlog. A cluster node whose
 * store is away still chats (messages wait in the history queue), so it stays 200; a single
 * server without its store cannot take messages and answers 503.
 *
 * @example
 * ```ts
 * import { health } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * equal(health(undefined).status, 200);
 * equal(health(undefined, { available: () => false }).text, "store unavailable\n");
 * ```
 */
export function health(
  cluster: ClusterStatus | undefined,
  store?: { available(): boolean },
): { status: number; text: string } {
  const storeUp = store?.available() ?? true;
  const c = cluster?.clusterStatus();
  if (!c) {
    return storeUp ? { status: 200, text: "ok\n" } : { status: 503, text: "store unavailable\n" };
  }
  const up = c.connected && !c.fenced;
  return {
    status: up ? 200 : 503,
    text: `${up ? "ok" : "bus down"}\nnode ${c.nodeId}\nbus ${
      c.fenced ? "fenced" : c.connected ? "connected" : "disconnected"
    }\npeers ${c.peers}\nlease age ${c.leaseAgeMs} ms\nstore ${
      storeUp ? "ok" : "unavailable"
    }\nhistory backlog ${c.historyBacklog}\n`,
  };
}
