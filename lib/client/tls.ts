/**
 * TLS for the client, with trust on first use for self-signed servers (SSH style).
 *
 * `Deno.connectTls` cannot show the peer's certificate, so the connection is made with
 * `node:tls` without automatic rejection; then, on that very socket (no second connection
 * an attacker could answer differently):
 *
 * - a certificate that a trusted CA vouches for, for this host name, is accepted as usual;
 *   that verdict is only taken from a full handshake, never from a resumed TLS session
 *   (see {@link caVerdict});
 * - otherwise its SHA-256 fingerprint must be the one pinned in the known-servers file, or
 *   the one given with `--fingerprint` (then pinned), or the user confirms it when asked
 *   (terminal only; then pinned);
 * - a pinned server whose certificate changed is refused with a loud warning, never
 *   accepted silently, whatever was asked.
 *
 * @module
 */

import * as tls from "node:tls";
import { isIP } from "node:net";
import { LineFramer } from "../protocol/framer.ts";
import { fingerprintOfDer } from "../tls/fingerprint.ts";
import type { Connection, ServerTarget } from "./dial.ts";
import { KnownServers, serverKey } from "./known_servers.ts";

/**
 * What the server's certificate looked like, for the user to judge.
 *
 * @example
 * ```ts
 * import type { PeerCertificate } from "./tls.ts";
 * const p: PeerCertificate = { key: "localhost:6697", fingerprint: "AB:…", der: new Uint8Array(),
 *   subject: "CN=deno-chat", validTo: "Nov 1 00:00:00 2036 GMT", caProblem: "self-signed" };
 * ```
 */
export interface PeerCertificate {
  /** `host:port` as pinned. */
  key: string;
  /** SHA-256, `AB:CD:…`. */
  fingerprint: string;
  /** The certificate, DER. */
  der: Uint8Array;
  /** Its subject, e.g. `CN=deno-chat`. */
  subject: string;
  /** The end of its validity. */
  validTo: string;
  /** Why no CA vouches for it (e.g. "self-signed"). */
  caProblem: string;
}

/**
 * How to decide about certificates no CA vouches for.
 *
 * @example
 * ```ts
 * import type { TrustOptions } from "./tls.ts";
 * const t: TrustOptions = { fingerprint: undefined, ask: undefined };
 * ```
 */
export interface TrustOptions {
  /** Where pins are kept (default: the user's config folder). */
  known?: KnownServers;
  /** The fingerprint the user expects (`--fingerprint`), canonical `AB:CD:…` form. */
  fingerprint?: string;
  /** Asks the user whether to trust an unknown certificate; absent = never ask, refuse. */
  ask?: (peer: PeerCertificate) => Promise<boolean>;
  /** Extra trusted CA certificates, PEM (tests); the system's CAs are used besides. */
  caCerts?: string[];
  /** Give up on a TLS handshake after this long (default 15000 ms). */
  timeoutMs?: number;
  /** Told when a certificate gets pinned (to show the user). */
  onPinned?: (peer: PeerCertificate, path: string) => void;
}

/**
 * A refusal to trust a server. `fatal` tells the client that retrying cannot help until
 * the user acts.
 *
 * @example
 * ```ts
 * import { TrustError } from "./tls.ts";
 * new TrustError("certificate changed").fatal; // true
 * ```
 */
export class TrustError extends Error {
  /** Retrying will not help. */
  readonly fatal = true;
  constructor(message: string) {
    super(message);
    this.name = "TrustError";
  }
}

function humanCaProblem(code: string | undefined): string {
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "self-signed";
    case "CERT_HAS_EXPIRED":
      return "expired";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return "issued for another name";
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return "signed by an unknown authority";
    default:
      return code ? code.toLowerCase().replace(/_/g, " ") : "not verified";
  }
}

/**
 * The message for a pinned server whose certificate is now another one: loud, because it is
 * what an impostor (or a reinstalled server) looks like.
 *
 * @example
 * ```ts
 * import { changedCertificateMessage } from "./tls.ts";
 * changedCertificateMessage("h:1", "AA", "BB", "/k").startsWith("WARNING"); // true
 * ```
 */
export function changedCertificateMessage(
  key: string,
  pinned: string,
  now: string,
  path: string,
): string {
  return `WARNING: THE CERTIFICATE OF ${key} HAS CHANGED! Someone may be pretending to be ` +
    `the server (or it was reinstalled). Expected SHA-256 ${pinned}, got ${now}. ` +
    `Not connecting. If the server's owner confirms the new fingerprint, delete the line ` +
    `for ${key} in ${path} and connect again.`;
}

/**
 * The message for an unknown self-signed certificate when nobody can be asked (line mode).
 *
 * @example
 * ```ts
 * import { unknownCertificateMessage } from "./tls.ts";
 * unknownCertificateMessage("h:1", "AA", "self-signed", "/k").includes("--fingerprint AA"); // true
 * ```
 */
export function unknownCertificateMessage(
  key: string,
  fingerprint: string,
  problem: string,
  path: string,
): string {
  return `The certificate of ${key} is ${problem} and not known yet (SHA-256 ${fingerprint}). ` +
    `Compare it with the fingerprint the server printed at start; if they match, connect ` +
    `once with --fingerprint ${fingerprint} (or from a terminal, which asks) and it will be ` +
    `remembered in ${path}.`;
}

/**
 * What full handshakes in this process found about each certificate (by `host:port` and
 * fingerprint): undefined when a CA vouched for it, else why not. A resumed session to the
 * same server keeps that verdict. Bounded: the oldest is forgotten first (then such a server
 * is asked about, never trusted silently).
 */
const fullHandshakeVerdicts = new Map<string, string | undefined>();
const VERDICTS_MAX = 256;

/** What one handshake looked like, as `node:tls` reports it. */
export interface HandshakeFacts {
  /** `socket.authorized`. */
  authorized: boolean;
  /** `socket.isSessionReused()`. */
  resumed: boolean;
  /** Why the certificate is not verified, in words (from `socket.authorizationError`). */
  problem: string;
}

/**
 * Undefined when a CA vouches for the server's certificate, else why not (for the user), as a
 * fact about the certificate with this fingerprint. `node:tls` cannot be asked that about a
 * resumed session: Deno 2.9.5 resumes TLS 1.3 sessions by itself, from a cache shared by every
 * `rejectUnauthorized: false` connection of the process, does not verify the certificate
 * again, and then reports `authorized: true` whatever the first handshake found. So a
 * self-signed server the user had just refused came back as "CA-signed" on the next
 * connection that happened to resume. Only a full handshake's verdict counts, remembered by
 * fingerprint for later resumptions; a resumed session with no such verdict is unverified,
 * and is then decided by pin or by asking.
 *
 * @example
 * ```ts
 * import { caVerdict } from "./tls.ts";
 * const full = { authorized: true, resumed: false, problem: "not verified" };
 * const resumed = { authorized: true, resumed: true, problem: "not verified" };
 * caVerdict(resumed, "h:1", "AA"); // "not verified on this resumed TLS session"
 * caVerdict(full, "h:1", "AA"); // undefined: a CA vouches for it
 * caVerdict(resumed, "h:1", "AA"); // undefined: verified in the full handshake above
 * caVerdict({ authorized: false, resumed: false, problem: "self-signed" }, "h:1", "BB"); // "self-signed"
 * caVerdict(resumed, "h:1", "BB"); // "self-signed"
 * ```
 */
export function caVerdict(
  facts: HandshakeFacts,
  key: string,
  fingerprint: string,
): string | undefined {
  const id = `${key} ${fingerprint}`;
  if (facts.resumed) {
    return fullHandshakeVerdicts.has(id)
      ? fullHandshakeVerdicts.get(id)
      : "not verified on this resumed TLS session";
  }
  const verdict = facts.authorized === true ? undefined : facts.problem;
  fullHandshakeVerdicts.delete(id); // re-inserted as the newest
  fullHandshakeVerdicts.set(id, verdict);
  if (fullHandshakeVerdicts.size > VERDICTS_MAX) {
    fullHandshakeVerdicts.delete(fullHandshakeVerdicts.keys().next().value!);
  }
  return verdict;
}

/** Opens the node:tls socket and waits for the handshake (bounded). */
function openSocket(target: ServerTarget, opts: TrustOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // SNI carries names only, never addresses (RFC 6066)
      servername: isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: false, // decided below, on this same socket
      ca: opts.caCerts ? [...tls.rootCertificates, ...opts.caCerts] : undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("the TLS handshake timed out (is this a TLS port?)"));
    }, opts.timeoutMs ?? 15000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      const msg = err.message;
      reject(
        new Error(
          /wrong version|packet length|unexpected eof|InvalidContentType|corrupt/i.test(msg)
            ? `the TLS handshake failed (${msg}); is this a plain-text port?`
            : msg,
        ),
      );
    });
  });
}

/**
 * Connects with TLS and decides whether to trust the server (see the module doc). Resolves
 * with a line {@link Connection} on the verified socket; rejects with a {@link TrustError}
 * when the certificate is refused, or an ordinary Error when the server cannot be reached.
 *
 * @example
 * ```ts ignore
 * import { dialTls } from "./tls.ts";
 * const conn = await dialTls({ host: "localhost", port: 6697, tls: true }, {
 *   fingerprint: "3F:A0:…",
 * });
 * await conn.write("PING :x");
 * ```
 */
export async function dialTls(target: ServerTarget, opts: TrustOptions = {}): Promise<Connection> {
  const socket = await openSocket(target, opts);
  try {
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) throw new Error("the server sent no certificate");
    const der = new Uint8Array(peer.raw);
    const fingerprint = await fingerprintOfDer(der);
    const key = serverKey(target.host, target.port);
    const peerInfo = {
      key,
      fingerprint,
      der,
      subject: Object.entries(peer.subject ?? {}).map(([k, v]) => `${k}=${v}`).join(", "),
      validTo: peer.valid_to ?? "",
    };
    if (opts.fingerprint !== undefined && opts.fingerprint !== fingerprint) {
      throw new TrustError(
        `The certificate of ${key} is not the expected one: --fingerprint says ` +
          `${opts.fingerprint}, the server has ${fingerprint}. Not connecting.`,
      );
    }
    const caProblem = caVerdict(
      {
        authorized: socket.authorized,
        resumed: socket.isSessionReused(),
        problem: humanCaProblem(
          typeof socket.authorizationError === "string"
            ? socket.authorizationError
            : (socket.authorizationError as Error | undefined)?.message,
        ),
      },
      key,
      fingerprint,
    );
    if (caProblem === undefined) return new TlsSocketConnection(socket); // a CA vouches for it
    // from here on only the pinned fingerprint and the user's answer decide
    const info: PeerCertificate = { ...peerInfo, caProblem };
    const known = opts.known ?? new KnownServers();
    const pinned = await known.get(key);
    if (pinned) {
      if (pinned.fingerprint === fingerprint) return new TlsSocketConnection(socket);
      throw new TrustError(
        changedCertificateMessage(key, pinned.fingerprint, fingerprint, known.path),
      );
    }
    const trusted = opts.fingerprint !== undefined || (opts.ask ? await opts.ask(info) : false);
    if (!trusted) {
      throw new TrustError(
        opts.ask
          ? `You did not trust the certificate of ${key}; not connecting.`
          : unknownCertificateMessage(key, fingerprint, info.caProblem, known.path),
      );
    }
    let b64 = "";
    for (const b of der) b64 += String.fromCharCode(b);
    await known.pin({ key, fingerprint, certBase64: btoa(b64) });
    opts.onPinned?.(info, known.path);
    return new TlsSocketConnection(socket);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Generous limits for lines from servers (as for TCP). */
const CLIENT_LIMITS = { maxBody: 16384, maxTags: 8191 };

/**
 * A {@link Connection} over a connected `node:tls` socket.
 *
 * @example
 * ```ts ignore
 * import { TlsSocketConnection } from "./tls.ts";
 * const conn = new TlsSocketConnection(socket);
 * for await (const line of conn.lines()) console.log(line);
 * ```
 */
export class TlsSocketConnection implements Connection {
  readonly #socket: tls.TLSSocket;
  #closed = false;
  #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    const wake = () => {
      const w = this.#wake;
      this.#wake = undefined;
      w?.();
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#queue.push(new Uint8Array(chunk));
      wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", () => {
      this.#ended = true;
      wake();
    });
  }

  async *lines(): AsyncIterable<string> {
    const framer = new LineFramer(CLIENT_LIMITS);
    while (!this.#closed) {
      const chunk = this.#queue.shift();
      if (chunk === undefined) {
        if (this.#ended) break;
        await new Promise<void>((r) => this.#wake = r);
        continue;
      }
      for (const f of framer.push(chunk)) {
        // a server's line with a NUL or bare CR is shown without them, not lost
        if (f.kind !== "too-long") yield f.text;
      }
    }
    this.close();
  }

  write(line: string): Promise<void> {
    if (this.#closed || this.#ended) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.#socket.write(
        line + "\r\n",
        "utf8",
        (err?: Error | null) => err ? reject(err) : resolve(),
      );
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}
