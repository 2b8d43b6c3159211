/**
 * Load-generator worker process. Holds a share of the bench's IRC connections, takes
 * commands as JSON lines on stdin (see protocol.ts) and answers on stdout.
 *
 * The receive path is kept lean: lines carrying a bench timestamp (`~L<microseconds since
 * epoch>`) are found with `Uint8Array.indexOf` on the raw bytes and their number is parsed
 * in place, with no string made; only the rare other lines (registration, JOIN, PING) are
 * decoded and go through `parseMessage`.
 * Everything is 127.0.0.1 only (the host comes from the orchestrator).
 *
 * @module
 */

import { parseMessage } from "../lib/protocol/message.ts";
import { Histogram } from "./histogram.ts";
import type {
  ChannelPlan,
  CloseCommand,
  ConnectCommand,
  ConnectResult,
  JoinCommand,
  JoinResult,
  ProbeCommand,
  ProbeResult,
  SendCommand,
  SendResult,
  StatsCommand,
  StatsResult,
  WorkerCommand,
  WorkerReply,
} from "./protocol.ts";

const READ_BUF = 16 * 1024;
const MARK = "~L";
const TILDE = 0x7e;
const MARK_L = 0x4c;
const LF = 10;
const CR = 13;
const encoder = new TextEncoder();
// Lines are decoded whole (after framing on bytes), so no character is split.
const decoder = new TextDecoder();

/** Microseconds since the epoch, sub-millisecond precise and comparable across processes. */
function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Conn {
  index: number;
  nick: string;
  tcp: Deno.TcpConn | null;
  registered: boolean;
  closed: boolean;
  carry: Uint8Array | null;
  writing: boolean;
  pending: string;
  channel: string;
  joined: boolean;
  startedUs: number;
  onRegistered: ((ok: boolean, why?: string) => void) | null;
  onJoined: ((ok: boolean, why?: string) => void) | null;
  onPong: ((token: string) => void) | null;
}

const conns: Conn[] = [];
let received = 0;
let reads = 0;
let sent = 0;
let expected = 0;
let closedByPeer = 0;
let quitting = false;
const latency = new Histogram();
const errors = new Set<string>();

function noteError(text: string): void {
  if (errors.size < 8) errors.add(text.slice(0, 200));
}

function nickOf(index: number): string {
  return "b" + index.toString(36);
}

function channelOf(plan: ChannelPlan, index: number): string {
  return plan.kind === "single" ? plan.name : plan.prefix + Math.floor(index / plan.size);
}

function write(c: Conn, text: string): void {
  if (c.closed || !c.tcp) return;
  if (c.writing) {
    c.pending += text;
    return;
  }
  c.writing = true;
  void flush(c, text);
}

async function flush(c: Conn, first: string): Promise<void> {
  let text = first;
  try {
    while (text !== "" && !c.closed && c.tcp) {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += await c.tcp.write(bytes.subarray(off));
      text = c.pending;
      c.pending = "";
    }
  } catch (e) {
    noteError(`write: ${(e as Error).message}`);
    close(c, true);
  } finally {
    c.writing = false;
  }
}

function close(c: Conn, byPeer: boolean): void {
  if (c.closed) return;
  c.closed = true;
  if (byPeer) closedByPeer++;
  try {
    c.tcp?.close();
  } catch { /* already closed */ }
  c.onRegistered?.(false, "closed");
  c.onJoined?.(false, "closed");
}

async function readLoop(c: Conn): Promise<void> {
  const buf = new Uint8Array(READ_BUF);
  const tcp = c.tcp!;
  try {
    for (;;) {
      const n = await tcp.read(buf);
      if (n === null) break;
      onData(c, buf.subarray(0, n));
    }
  } catch (e) {
    if (!c.closed) noteError(`read: ${(e as Error).message}`);
  }
  close(c, !c.closed);
}

function onData(c: Conn, chunk: Uint8Array): void {
  const now = nowUs();
  reads++;
  let data = chunk;
  if (c.carry !== null) {
    data = new Uint8Array(c.carry.length + chunk.length);
    data.set(c.carry, 0);
    data.set(chunk, c.carry.length);
    c.carry = null;
  }
  let start = 0;
  let got = 0;
  let mark = data.indexOf(TILDE);
  for (;;) {
    const nl = data.indexOf(LF, start);
    if (nl === -1) {
      // copy: the read buffer is reused
      if (start < data.length) c.carry = data.slice(start);
      break;
    }
    // skip '~' that is not our mark (e.g. "~user" in a prefix)
    while (mark !== -1 && mark < nl && data[mark + 1] !== MARK_L) {
      mark = data.indexOf(TILDE, mark + 1);
    }
    if (mark !== -1 && mark < nl) {
      // a bench message: parse the digits after the mark in place, no string made
      let ts = 0;
      for (let i = mark + 2; i < nl; i++) {
        const d = data[i] - 48;
        if (d < 0 || d > 9) break;
        ts = ts * 10 + d;
      }
      latency.recordUs(now - ts);
      got++;
      mark = data.indexOf(TILDE, nl + 1);
    } else {
      const end = nl > start && data[nl - 1] === CR ? nl - 1 : nl;
      onLine(c, decoder.decode(data.subarray(start, end)));
    }
    start = nl + 1;
  }
  received += got;
}

function onLine(c: Conn, line: string): void {
  const msg = parseMessage(line);
  if (!msg) return;
  switch (msg.command) {
    case "PING":
      write(c, `PONG :${msg.params[msg.params.length - 1] ?? ""}\r\n`);
      return;
    case "PONG":
      c.onPong?.(msg.params[msg.params.length - 1] ?? "");
      return;
    case "001":
      c.registered = true;
      c.onRegistered?.(true);
      return;
    case "433":
    case "432":
    case "465":
      c.onRegistered?.(false, line);
      return;
    case "366":
      if (c.onJoined) {
        c.joined = true;
        c.onJoined(true);
      }
      return;
    case "403":
    case "405":
    case "471":
    case "473":
    case "474":
    case "475":
    case "477":
      c.onJoined?.(false, line);
      return;
    case "ERROR":
      if (!quitting) noteError(line);
      close(c, true);
      return;
  }
}

async function connect(cmd: ConnectCommand): Promise<ConnectResult> {
  const t0 = performance.now();
  const deadline = t0 + cmd.timeoutMs;
  const regLatency = new Histogram();
  let registered = 0;
  let failed = 0;
  let inFlight = 0;
  let firstRegAt = 0;
  let lastRegAt = 0;
  let started = 0;
  const settled: Promise<void>[] = [];

  const one = async (index: number): Promise<void> => {
    const c: Conn = {
      index,
      nick: nickOf(index),
      tcp: null,
      registered: false,
      closed: false,
      carry: null,
      writing: false,
      pending: "",
      channel: "",
      joined: false,
      startedUs: nowUs(),
      onRegistered: null,
      onJoined: null,
      onPong: null,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const port = cmd.ports?.length ? cmd.ports[index % cmd.ports.length] : cmd.port;
      c.tcp = await Deno.connect({ hostname: cmd.host, port });
      c.tcp.setNoDelay(true);
      conns.push(c);
      const ok = await new Promise<boolean>((resolve) => {
        c.onRegistered = (ok, why) => {
          if (!ok && why) noteError(`register: ${why}`);
          resolve(ok);
        };
        timer = setTimeout(() => {
          noteError("register: timeout");
          resolve(false);
        }, Math.max(1, deadline - performance.now()));
        void readLoop(c);
        write(c, `NICK ${c.nick}\r\nUSER ${c.nick} 0 * :bench ${index}\r\n`);
      });
      c.onRegistered = null;
      if (ok) {
        registered++;
        const at = nowUs();
        regLatency.recordUs(at - c.startedUs);
        if (firstRegAt === 0) firstRegAt = at / 1000;
        lastRegAt = at / 1000;
      } else {
        failed++;
        close(c, false);
      }
    } catch (e) {
      failed++;
      noteError(`connect: ${(e as Error).message}`);
      close(c, false);
    } finally {
      clearTimeout(timer);
      inFlight--;
    }
  };

  while (started < cmd.count && performance.now() < deadline) {
    const due = Math.min(
      cmd.count,
      Math.floor(((performance.now() - t0) / 1000) * cmd.ratePerSec) + 1,
    );
    while (started < due && inFlight < cmd.maxInFlight) {
      inFlight++;
      settled.push(one(cmd.firstIndex + started));
      started++;
    }
    if (started < cmd.count) await sleep(started < due ? 2 : Math.max(1, 1000 / cmd.ratePerSec));
  }
  await Promise.all(settled);
  failed += cmd.count - started;
  return {
    attempted: started,
    registered,
    failed,
    elapsedMs: performance.now() - t0,
    firstRegAt,
    lastRegAt,
    regLatency: regLatency.toJSON(),
    errors: [...errors],
  };
}

async function join(cmd: JoinCommand): Promise<JoinResult> {
  const t0 = performance.now();
  const deadline = t0 + cmd.timeoutMs;
  const targets = conns.filter((c) => c.registered && !c.closed && !c.joined);
  let joined = 0;
  let failed = 0;
  const settled: Promise<void>[] = [];
  let i = 0;
  while (i < targets.length && performance.now() < deadline) {
    const due = Math.min(
      targets.length,
      Math.floor(((performance.now() - t0) / 1000) * cmd.ratePerSec) + 1,
    );
    for (; i < due; i++) {
      const c = targets[i];
      c.channel = channelOf(cmd.plan, c.index);
      settled.push(
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Math.max(1, deadline - performance.now()));
          c.onJoined = (ok, why) => {
            clearTimeout(timer);
            if (!ok && why) noteError(`join: ${why}`);
            resolve(ok);
          };
          write(c, `JOIN ${c.channel}\r\n`);
        }).then((ok) => {
          c.onJoined = null;
          if (ok) joined++;
          else failed++;
        }),
      );
    }
    if (i < targets.length) await sleep(Math.max(1, Math.min(20, 1000 / cmd.ratePerSec)));
  }
  await Promise.all(settled);
  failed += targets.length - i;
  return { joined, failed, elapsedMs: performance.now() - t0, errors: [...errors] };
}

async function send(cmd: SendCommand): Promise<SendResult> {
  const senders = conns.filter((c) => c.joined && !c.closed);
  if (senders.length === 0 || cmd.ratePerConn <= 0) return { sent: 0, lagMaxMs: 0 };
  const rate = senders.length * cmd.ratePerConn; // messages per second from this worker
  const intervalMs = 1000 / rate;
  const total = Math.floor((cmd.durationMs / 1000) * rate);
  const pad = "x".repeat(Math.max(0, cmd.pad));
  const startPerf = cmd.startAt - performance.timeOrigin + cmd.phase * intervalMs;
  let k = 0;
  let lagMax = 0;
  const hardStop = startPerf + cmd.durationMs + 10_000;
  while (k < total) {
    const now = performance.now();
    if (now > hardStop) break;
    const due = Math.min(total, Math.floor((now - startPerf) / intervalMs) + 1);
    for (; k < due; k++) {
      const c = senders[k % senders.length];
      if (c.closed) continue;
      const lag = now - (startPerf + k * intervalMs);
      if (lag > lagMax) lagMax = lag;
      write(c, `PRIVMSG ${c.channel} :${MARK}${nowUs()} ${k} ${pad}\r\n`);
      sent++;
      expected += cmd.recipientsPerMsg;
    }
    const next = startPerf + k * intervalMs - performance.now();
    await sleep(Math.max(1, Math.min(next, 10)));
  }
  return { sent: k, lagMaxMs: lagMax };
}

function stats(cmd: StatsCommand): StatsResult {
  const r: StatsResult = {
    sent,
    expected,
    received,
    reads,
    latency: latency.toJSON(),
    open: conns.filter((c) => !c.closed).length,
    closedByPeer,
    errors: [...errors],
  };
  if (cmd.reset) {
    sent = 0;
    expected = 0;
    received = 0;
    reads = 0;
    closedByPeer = 0;
    latency.reset();
    errors.clear();
  }
  return r;
}

async function probe(cmd: ProbeCommand): Promise<ProbeResult> {
  const live = conns.filter((c) => c.registered && !c.closed);
  const step = Math.max(1, Math.floor(live.length / Math.max(1, cmd.count)));
  const h = new Histogram();
  let answered = 0;
  const waits: Promise<void>[] = [];
  for (let i = 0; i < live.length && waits.length < cmd.count; i += step) {
    const c = live[i];
    const token = `probe${c.index}`;
    const t = nowUs();
    waits.push(
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, cmd.timeoutMs);
        c.onPong = (got) => {
          if (got !== token) return;
          h.recordUs(nowUs() - t);
          answered++;
          clearTimeout(timer);
          resolve();
        };
        write(c, `PING :${token}\r\n`);
      }).then(() => {
        c.onPong = null;
      }),
    );
  }
  await Promise.all(waits);
  return { answered, latency: h.toJSON() };
}

async function closeAll(_cmd: CloseCommand): Promise<{ closed: number }> {
  let n = 0;
  quitting = true;
  for (const c of conns) {
    if (c.closed) continue;
    write(c, "QUIT :bench done\r\n");
    n++;
  }
  await sleep(50);
  for (const c of conns) close(c, false);
  conns.length = 0;
  quitting = false;
  return { closed: n };
}

async function handle(cmd: WorkerCommand): Promise<unknown> {
  switch (cmd.op) {
    case "connect":
      return await connect(cmd);
    case "join":
      return await join(cmd);
    case "send":
      return await send(cmd);
    case "stats":
      return stats(cmd);
    case "probe":
      return await probe(cmd);
    case "close":
      return await closeAll(cmd);
  }
}

let replying = Promise.resolve();
function reply(r: WorkerReply): void {
  const bytes = encoder.encode(JSON.stringify(r) + "\n");
  replying = replying.then(async () => {
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  });
}

async function main(): Promise<void> {
  let buffered = "";
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === "") continue;
      const cmd = JSON.parse(line) as WorkerCommand;
      handle(cmd).then(
        (result) => reply({ id: cmd.id, ok: true, result }),
        (e) => reply({ id: cmd.id, ok: false, error: String((e as Error)?.stack ?? e) }),
      );
    }
  }
  // stdin closed: the orchestrator is gone; drop everything and leave
  for (const c of conns) close(c, false);
  await replying.catch(() => {});
  Deno.exit(0);
}

if (import.meta.main) await main();
