/**
 * `/metrics` in the Prometheus text exposition format: connections by transport, users,
 * channels, the write path in use, and the server's counters.
 *
 * @module
 */

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
  return out.join("\n") + "\n";
}
