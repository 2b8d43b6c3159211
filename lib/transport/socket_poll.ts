/**
 * Reading many TCP sockets through one `epoll(7)` instance, for idle memory.
 *
 * Why: every `Deno.Conn.read` that is waiting for input holds its buffer, a chain of
 * promises and async frames in JavaScript, and an op future in the runtime. Measured here
 * (bench/README.md, "Memory per idle client") that is about 4 KiB of RSS per idle
 * connection: a bare Deno server with one pending 512-byte read per connection took 7.6 KiB
 * per connection, the same server holding the connections without reading 3.5 KiB, and one
 * reading them all through a single epoll 3.6 KiB. So where direct sends are used (Linux,
 * glibc, the FFI permission, a checked descriptor: see socket_send.ts), input is read the
 * same way: one `epoll_wait` on a thread of the runtime's pool stands for all connections,
 * and a socket that has input is read with a non-blocking `recv(2)` into one buffer shared
 * by all of them (the line framer copies what it keeps). Each socket is armed one-shot, and
 * armed again only once the lines of its last read have been handled, so a slow handler
 * still holds its peer back.
 *
 * The descriptor stays Deno's: the connection's `close()` must {@link PollReader.stop} the
 * reader before it closes the `Deno.Conn` (a closed descriptor number can be reused).
 *
 * @module
 */

import { type FramedLine, LineFramer } from "../protocol/framer.ts";

// Linux <sys/epoll.h>, <sys/eventfd.h>, <sys/socket.h>
const EPOLL_CLOEXEC = 0x80000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const EPOLLRDHUP = 0x2000;
const EPOLLONESHOT = 0x40000000;
const ARMED = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
const EFD_NONBLOCK = 0x800;
const EFD_CLOEXEC = 0x80000;
const MSG_DONTWAIT = 0x40;
// struct epoll_event is packed on x86-64: u32 events, then the u64 data (our token)
const EVENT_SIZE = 12;
const MAX_EVENTS = 512;
/** Backstop only: the wait is woken through an eventfd when the last reader stops. */
const WAIT_MS = 1000;
/**
 * One read's room: what the ordinary path reads at most at once too (tcp.ts), so a client
 * that floods gets no more handled per turn than before; the framer keeps partial lines.
 */
const READ_BUFFER = 4096;

type CtlFn = (ep: number, op: number, fd: number, event: Uint8Array | null) => number;
type IoFn = (fd: number, buf: Uint8Array, length: number, flags: number) => number | bigint;

interface Epoll {
  ep: number;
  wake: number;
  ctl: CtlFn;
  wait: (ep: number, events: Uint8Array, max: number, ms: number) => Promise<number>;
  recv: IoFn;
  write: (fd: number, buf: Uint8Array, length: number) => number | bigint;
  read: (fd: number, buf: Uint8Array, length: number) => number | bigint;
}

let epoll: Epoll | null | undefined;

/** Opens libc and the epoll instance once, if this platform and the permissions allow. */
function load(): Epoll | null {
  if (epoll !== undefined) return epoll;
  epoll = null;
  if (Deno.build.os !== "linux") return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", {
      epoll_create1: { parameters: ["i32"], result: "i32" },
      epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
      epoll_wait: {
        parameters: ["i32", "buffer", "i32", "i32"],
        result: "i32",
        nonblocking: true,
      },
      eventfd: { parameters: ["u32", "i32"], result: "i32" },
      recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
      write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    });
    const s = lib.symbols;
    const ep = s.epoll_create1(EPOLL_CLOEXEC);
    const wake = ep < 0 ? -1 : s.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ep < 0 || wake < 0) return null;
    // as in socket_send.ts: FFI takes a number for size_t too, no bigint per call
    const ctl = s.epoll_ctl as CtlFn;
    if (ctl(ep, EPOLL_CTL_ADD, wake, event(EPOLLIN, 0)) !== 0) return null;
    epoll = {
      ep,
      wake,
      ctl,
      wait: s.epoll_wait as Epoll["wait"],
      recv: s.recv as unknown as IoFn,
      write: s.write as unknown as Epoll["write"],
      read: s.read as unknown as Epoll["read"],
    };
  } catch {
    epoll = null;
  }
  return epoll;
}

const ctlEvent = new Uint8Array(EVENT_SIZE);
const ctlView = new DataView(ctlEvent.buffer);

/** The one epoll_event buffer for epoll_ctl (it is copied by the kernel). */
function event(flags: number, token: number): Uint8Array {
  ctlView.setUint32(0, flags, true);
  ctlView.setUint32(4, token, true);
  ctlView.setUint32(8, 0, true);
  return ctlEvent;
}

const readers = new Map<number, PollReader>();
const events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
const eventsView = new DataView(events.buffer);
const shared = new Uint8Array(READ_BUFFER);
const wakeBytes = new Uint8Array(8);
let nextToken = 1;
let waiting = false;

/**
 * Whether sockets can be read through the shared epoll here (Linux, glibc, FFI granted).
 *
 * @example
 * ```ts
 * import { pollAvailable } from "./socket_poll.ts";
 * typeof pollAvailable(); // "boolean"
 * ```
 */
export function pollAvailable(): boolean {
  return load() !== null;
}

/** The reads in progress through the shared epoll (one per connection being read). */
export function pollReaders(): number {
  return readers.size;
}

/**
 * Reads lines from socket `fd` through the shared epoll until the peer closes, the socket
 * fails or {@link PollReader.stop} is called; `onLine` is awaited before the socket is read
 * again. `first` sees the first bytes read (before framing) and stops the reading by
 * returning something (the plain-text port's TLS check, which then closes the connection). Undefined where polling is unavailable
 * or the socket cannot be added; the caller then reads the ordinary way.
 *
 * @example
 * ```ts ignore
 * const reader = pollLines(fd, (line) => console.log(line));
 * await reader?.done; // end of input
 * ```
 */
export function pollLines(
  fd: number,
  onLine: (line: FramedLine) => void | Promise<void>,
  first?: (bytes: Uint8Array) => unknown,
): PollReader | undefined {
  const e = load();
  if (e === null) return undefined;
  const token = nextToken;
  // tokens stay below 2^31 and skip 0 (the wake-up eventfd's)
  nextToken = nextToken >= 0x7fff_ffff ? 1 : nextToken + 1;
  if (e.ctl(e.ep, EPOLL_CTL_ADD, fd, event(ARMED, token)) !== 0) return undefined;
  const reader = new PollReader(e, fd, token, onLine, first);
  readers.set(token, reader);
  if (!waiting) void loop(e);
  return reader;
}

/** The one wait for all readers; runs while there are any. */
async function loop(e: Epoll): Promise<void> {
  waiting = true;
  try {
    while (readers.size > 0) {
      const n = await e.wait(e.ep, events, MAX_EVENTS, WAIT_MS);
      for (let i = 0; i < n; i++) {
        const flags = eventsView.getUint32(i * EVENT_SIZE, true);
        const token = eventsView.getUint32(i * EVENT_SIZE + 4, true);
        if (token === 0) {
          e.read(e.wake, wakeBytes, 8);
          continue;
        }
        // a reader stopped since the wait returned is no longer in the map
        readers.get(token)?.readable(flags);
      }
    }
  } finally {
    waiting = false;
  }
}

/** One socket read through the shared epoll: made by {@link pollLines}. */
export class PollReader {
  /** Resolves at end of input (peer closed, error, or {@link PollReader.stop}). */
  readonly done: Promise<void>;
  readonly #e: Epoll;
  readonly #fd: number;
  readonly #token: number;
  readonly #onLine: (line: FramedLine) => void | Promise<void>;
  #first: ((bytes: Uint8Array) => unknown) | undefined;
  readonly #framer = new LineFramer();
  #resolve!: () => void;
  #stopped = false;

  /** Use {@link pollLines}. */
  constructor(
    e: Epoll,
    fd: number,
    token: number,
    onLine: (line: FramedLine) => void | Promise<void>,
    first: ((bytes: Uint8Array) => unknown) | undefined,
  ) {
    this.#e = e;
    this.#fd = fd;
    this.#token = token;
    this.#onLine = onLine;
    this.#first = first;
    this.done = new Promise<void>((resolve) => this.#resolve = resolve);
  }

  /**
   * Ends the read: the socket leaves the epoll at once (before its descriptor is closed),
   * and {@link PollReader.done} resolves.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    readers.delete(this.#token);
    const e = this.#e;
    e.ctl(e.ep, EPOLL_CTL_DEL, this.#fd, null);
    // the wait must not outlive the last reader (a pending op keeps the process up)
    if (readers.size === 0 && waiting) {
      wakeBytes.fill(0);
      wakeBytes[0] = 1;
      e.write(e.wake, wakeBytes, 8);
    }
    this.#resolve();
  }

  /** Called by the wait loop: the socket has input, an end or an error. */
  readable(flags: number): void {
    const n = Number(this.#e.recv(this.#fd, shared, shared.length, MSG_DONTWAIT));
    if (n < 0) {
      // no input after all (the socket is one-shot armed, so a spurious wake-up is rare);
      // an error state comes with EPOLLERR or EPOLLHUP
      if ((flags & (EPOLLERR | EPOLLHUP)) === 0) this.#arm();
      else this.stop();
      return;
    }
    if (n === 0) {
      this.stop();
      return;
    }
    const bytes = shared.subarray(0, n);
    if (this.#first !== undefined) {
      const check = this.#first;
      this.#first = undefined;
      if (check(bytes)) return;
    }
    let lines: FramedLine[];
    try {
      // copies what it keeps: the shared buffer is the next socket's at once
      lines = this.#framer.push(bytes);
    } catch {
      this.stop();
      return;
    }
    this.#handle(lines, 0);
  }

  /** Hands on `lines` from index `i`; arms the socket again once all are handled. */
  #handle(lines: FramedLine[], i: number): void {
    try {
      for (; i < lines.length; i++) {
        if (this.#stopped) return;
        const r = this.#onLine(lines[i]);
        if (r) {
          const next = i + 1;
          r.then(() => this.#handle(lines, next), () => this.stop());
          return;
        }
      }
    } catch {
      // a failing handler ends the input, as a failing read does
      this.stop();
      return;
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const e = this.#e;
    if (e.ctl(e.ep, EPOLL_CTL_MOD, this.#fd, event(ARMED, this.#token)) !== 0) this.stop();
  }
}
