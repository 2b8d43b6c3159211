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
 * file descriptor. Everywhere else {@link directSendFd} returns -1 and the ordinary path is
 * used. The descriptor belongs to Deno's resource: callers must stop using it once they
 * close the connection (a closed descriptor number can be reused by the next connection).
 *
 * @module
 */

// Linux <sys/socket.h>: don't block, and report EPIPE instead of raising SIGPIPE
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL;

type SendFn = (fd: number, data: Uint8Array, length: number, flags: number) => number | bigint;

let send: SendFn | null | undefined;

/** Opens libc once, if this platform and the granted permissions allow it. */
function loadSend(): SendFn | null {
  if (send !== undefined) return send;
  send = null;
  if (Deno.build.os !== "linux") return null;
  try {
    // querying never prompts; dlopen without the permission would
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", {
      send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    });
    // the declared type wants a bigint for the size_t length; FFI takes a number for it as
    // well, and a bigint per call would be an allocation per write on the hot path
    send = lib.symbols.send as unknown as SendFn;
  } catch {
    // musl or another libc, or FFI unavailable: the ordinary write path it is
    send = null;
  }
  return send;
}

/**
 * The socket descriptor to use with {@link sendNow} for an accepted TCP connection, or -1
 * when direct sends are not available (not Linux/glibc, no FFI permission, or the connection
 * does not expose its descriptor: Deno exposes it on accepted connections only).
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
  if (!loadSend()) return -1;
  // Deno keeps the descriptor under a symbol of its own; read it without depending on the
  // symbol object, and only trust a plain non-negative integer
  for (const sym of Object.getOwnPropertySymbols(conn)) {
    if (sym.description !== "Deno.internal.fd") continue;
    const fd: unknown = (conn as unknown as Record<symbol, unknown>)[sym];
    return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : -1;
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
  const n = Number(send!(fd, data, data.length, SEND_FLAGS));
  return n > 0 ? n : 0;
}
