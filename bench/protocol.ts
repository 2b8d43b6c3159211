/**
 * The messages between the bench orchestrator (main.ts) and its load-generator worker
 * processes (worker.ts): one JSON object per line, commands on the worker's stdin,
 * replies on its stdout.
 *
 * @module
 */

import type { HistogramJson } from "./histogram.ts";

/** How a connection picks the channel it joins, from its global index. */
export type ChannelPlan =
  | { kind: "single"; name: string }
  | { kind: "groups"; size: number; prefix: string };

/** Open `count` connections with global indices `firstIndex..`, register them at a rate. */
export interface ConnectCommand {
  op: "connect";
  id: number;
  host: string;
  port: number;
  /**
   * Several servers (the nodes of a cluster): connection `index` goes to
   * `ports[index % ports.length]`, so consecutive indices are spread evenly; `port` is unused.
   */
  ports?: number[];
  firstIndex: number;
  count: number;
  /** Connection attempts per second started by this worker. */
  ratePerSec: number;
  /** At most this many connections may be connected but not yet registered. */
  maxInFlight: number;
  /** Give up on a registration after this long. */
  timeoutMs: number;
}

/** Join every open registered connection to its channel at a rate; waits for 366. */
export interface JoinCommand {
  op: "join";
  id: number;
  plan: ChannelPlan;
  ratePerSec: number;
  timeoutMs: number;
}

/** Every joined connection sends PRIVMSG to its channel at `ratePerConn` for `durationMs`. */
export interface SendCommand {
  op: "send";
  id: number;
  /** Wall-clock start (ms since epoch) shared by all workers. */
  startAt: number;
  durationMs: number;
  ratePerConn: number;
  /** Deliveries each message should cause (channel members minus the sender). */
  recipientsPerMsg: number;
  /** Phase in [0,1) so the workers' sends interleave instead of coinciding. */
  phase: number;
  /** Extra characters of body text after the timestamp. */
  pad: number;
}

/** Read (and optionally reset) the counters. */
export interface StatsCommand {
  op: "stats";
  id: number;
  reset: boolean;
}

/** PING `count` registered connections and measure the PONG round trip. */
export interface ProbeCommand {
  op: "probe";
  id: number;
  count: number;
  timeoutMs: number;
}

/** QUIT and close every connection. */
export interface CloseCommand {
  op: "close";
  id: number;
}

/** Any command. */
export type WorkerCommand =
  | ConnectCommand
  | JoinCommand
  | SendCommand
  | StatsCommand
  | ProbeCommand
  | CloseCommand;

/** Result of {@link ConnectCommand}. */
export interface ConnectResult {
  attempted: number;
  registered: number;
  failed: number;
  elapsedMs: number;
  /** Wall-clock (ms since epoch) of the first and last 001 seen; 0 if none. */
  firstRegAt: number;
  lastRegAt: number;
  /** Connect-start to 001, per registered connection. */
  regLatency: HistogramJson;
  /** A few distinct error texts. */
  errors: string[];
}

/** Result of {@link JoinCommand}. */
export interface JoinResult {
  joined: number;
  failed: number;
  elapsedMs: number;
  errors: string[];
}

/** Result of {@link SendCommand}. */
export interface SendResult {
  sent: number;
  /** How late the latest send was against its schedule (generator lag). */
  lagMaxMs: number;
}

/** Result of {@link StatsCommand}. */
export interface StatsResult {
  sent: number;
  expected: number;
  received: number;
  /** Socket reads that returned data (how finely the server's writes arrive). */
  reads: number;
  latency: HistogramJson;
  open: number;
  /** Connections the server closed (or that failed) since the last reset. */
  closedByPeer: number;
  errors: string[];
}

/** Result of {@link ProbeCommand}. */
export interface ProbeResult {
  answered: number;
  latency: HistogramJson;
}

/** A worker's reply. */
export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };
