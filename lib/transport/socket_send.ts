/**
 * Synchronous, non-blocking `send(2)` on a TCP connection's socket, for the broadcast hot
 * path.
 *
 * Why: `Deno.Conn.write` is an async op: each call allocates a promise, goes through the op
 * layer and tokio, and resolves on a later microtask. In a 1,000-member channel that is one
 * call per recipient per message, and measured here it costs about 8 µs per write against
 * about 6 µs for a plain `send(2)` through FFI (bench/README.md); under fan-out load the
 * difference decided whether the server saturated a core. A direct send either takes the
 * bytes into the kernel's socket buffer at once or says it could not; whatever it did not
 * take goes through the ordinary `write`, which waits for room and reports errors.
 *
 * It is used only where it is known to be right: on Linux with glibc (`libc.so.6`), when the
 * process already holds the FFI permission (never prompts), on a connection that exposes its
 * file descriptor, once that descriptor's own addresses (`getsockname`/`getpeername`) are
 * those of the connection. Everywhere else {@link directSendFd} returns -1 and the ordinary
 * path is used. The descriptor belongs to Deno's resource: callers must stop using it once they
 * close the connection (a closed descriptor number can be reused by the next connection).
 *
 * @module
 */

// Linux <sys/socket.h>: don't block, and report EPIPE instead of raising SIGPIPE
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL;

type SendFn = (fd: number, data: Uint8Array, length: number, flags: number) => number | bigint;
type NameFn = (fd: number, addr: Uint8Array, addrLen: Uint8Array) => number;

interface Libc {
  send: SendFn;
  getsockname: NameFn;
  getpeername: NameFn;
}

let libc: Libc | null | undefined;
let send: SendFn;

/** Opens libc once, if this platform and the granted permissions allow it. */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux") return null;
  try {
    // querying never prompts; dlopen without the permission would
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", {
      send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
      getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
      getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    });
    // the declared type wants a bigint for the size_t length; FFI takes a number for it as
    // well, and a bigint per call would be an allocation per write on the hot path
    send = lib.symbols.send as unknown as SendFn;
    libc = {
      send,
      getsockname: lib.symbols.getsockname as NameFn,
      getpeername: lib.symbols.getpeername as NameFn,
    };
  } catch {
    // musl or another libc, or FFI unavailable: the ordinary write path it is
    libc = null;
  }
  return libc;
}

/** The name of a write path, as the start-up line and `/metrics` show it. */
export type WritePath = "direct send(2)" | "Deno write";

/**
 * Which write path accepted TCP connections use in this process: direct `send(2)` where it
 * is available (each connection's descriptor is still checked at accept, see
 * {@link directSendFd}), Deno's ordinary write everywhere else.
 *
 * @example
 * ```ts
 * import { writePath } from "./socket_send.ts";
 * import { ok } from "node:assert/strict";
 * ok(["direct send(2)", "Deno write"].includes(writePath()));
 * ```
 */
export function writePath(): WritePath {
  return loadLibc() ? "direct send(2)" : "Deno write";
}

/**
 * How the descriptor check at accept went since start, for `/metrics`: descriptors used
 * for direct sends, and connections left on the ordinary path because the descriptor found
 * did not belong to them.
 */
export const directSendCounters: { verified: number; mismatched: number } = {
  verified: 0,
  mismatched: 0,
};

// Linux <sys/socket.h> and <netinet/in.h>
const AF_INET = 2;
const AF_INET6 = 10;
// struct sockaddr_storage, and socklen_t's room for its size
const sockaddr = new Uint8Array(128);
const sockaddrLength = new Uint8Array(4);

/**
 * Whether socket descriptor `fd` is bound to `local` and connected to `remote` (its
 * `getsockname`/`getpeername`), i.e. is the socket of the `Deno.Conn` with those addresses.
 * False when it is not a socket, is closed, or is another connection; false too when the
 * check cannot be made here (no FFI).
 *
 * @example
 * ```ts
 * import { descriptorMatches } from "./socket_send.ts";
 * import { equal } from "node:assert/strict";
 * const addr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
 * equal(descriptorMatches(1_000_000, addr, addr), false); // no such descriptor
 * ```
 */
export function descriptorMatches(fd: number, local: Deno.Addr, remote: Deno.Addr): boolean {
  const lib = loadLibc();
  if (!lib || local.transport !== "tcp" || remote.transport !== "tcp") return false;
  return nameMatches(lib.getsockname, fd, local) && nameMatches(lib.getpeername, fd, remote);
}

/** Asks `fn` (getsockname or getpeername) for `fd`'s address and compares it with `want`. */
function nameMatches(fn: NameFn, fd: number, want: Deno.NetAddr): boolean {
  // socklen_t, in host byte order
  new Uint32Array(sockaddrLength.buffer)[0] = sockaddr.length;
  sockaddr.fill(0);
  if (fn(fd, sockaddr, sockaddrLength) !== 0) return false;
  // sa_family is in host byte order; the port is in network order
  const family = new Uint16Array(sockaddr.buffer, 0, 1)[0];
  const port = (sockaddr[2] << 8) | sockaddr[3];
  let bytes: Uint8Array;
  if (family === AF_INET) bytes = sockaddr.subarray(4, 8);
  else if (family === AF_INET6) bytes = sockaddr.subarray(8, 24);
  else return false;
  const expected = ipBytes(want.hostname);
  return port === want.port && expected !== undefined && sameBytes(bytes, expected);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The bytes of an IPv4 (4) or IPv6 (16) address in text form, or undefined when it is
 * neither. IPv6 may use `::` and end in dotted IPv4; a zone (`%eth0`) is ignored.
 *
 * @example
 * ```ts
 * import { ipBytes } from "./socket_send.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * deepEqual([...ipBytes("127.0.0.1")!], [127, 0, 0, 1]);
 * equal(ipBytes("::ffff:10.0.0.2")?.length, 16);
 * equal(ipBytes("localhost"), undefined);
 * ```
 */
export function ipBytes(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%");
  const ip = zone >= 0 ? text.slice(0, zone) : text;
  if (!ip.includes(":")) return ipv4Bytes(ip);
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = ipv4Bytes(part);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

function ipv4Bytes(ip: string): Uint8Array | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/**
 * The socket descriptor to use with {@link sendNow} for an accepted TCP connection, or -1
 * when direct sends are not available (not Linux/glibc, no FFI permission, or the connection
 * does not expose its descriptor: Deno exposes it on accepted connections only), or when the
 * descriptor found is not this connection's socket (its addresses differ from the
 * connection's `localAddr`/`remoteAddr`; counted in {@link directSendCounters}): the
 * descriptor is read from a Deno internal, and writing to the wrong socket would send one
 * client's lines to another.
 *
 * @example
 * ```ts
 * import { directSendFd } from "./socket_send.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const accepted = await listener.accept();
 * const fd = directSendFd(accepted); // a descriptor number, or -1
 * accepted.close();
 * client.close();
 * listener.close();
 * ```
 */
export function directSendFd(conn: Deno.Conn): number {
  if (!loadLibc()) return -1;
  // Deno keeps the descriptor under a symbol of its own; read it without depending on the
  // symbol object, and only trust a plain non-negative integer
  for (const sym of Object.getOwnPropertySymbols(conn)) {
    if (sym.description !== "Deno.internal.fd") continue;
    const fd: unknown = (conn as unknown as Record<symbol, unknown>)[sym];
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) return -1;
    if (!descriptorMatches(fd, conn.localAddr, conn.remoteAddr)) {
      directSendCounters.mismatched++;
      return -1;
    }
    directSendCounters.verified++;
    return fd;
  }
  return -1;
}

/**
 * Sends as much of `data` as the socket takes right now, without waiting. Returns the number
 * of bytes taken (0 when the buffer is full or the send failed for any reason: the caller's
 * ordinary write then waits for room or reports the error). `fd` must come from
 * {@link directSendFd} and its connection must still be open.
 *
 * @example
 * ```ts
 * import { directSendFd, sendNow } from "./socket_send.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const accepted = await listener.accept();
 * const fd = directSendFd(accepted);
 * const data = new TextEncoder().encode("PING x\r\n");
 * const taken = fd >= 0 ? sendNow(fd, data) : 0; // 8 when available
 * accepted.close();
 * client.close();
 * listener.close();
 * ```
 */
export function sendNow(fd: number, data: Uint8Array): number {
  const n = Number(send(fd, data, data.length, SEND_FLAGS));
  return n > 0 ? n : 0;
}
