/**
 * The IRCv3 capabilities the server offers, and the tag bits derived from them that decide
 * which serialized form of a broadcast a session receives.
 *
 * @module
 */

import type { Limits } from "./limits.ts";

/** Capabilities offered in `CAP LS`, with their 302 values where they have one. */
export const SUPPORTED_CAPS: ReadonlyMap<string, string> = new Map([
  ["account-notify", ""],
  ["account-tag", ""],
  ["away-notify", ""],
  ["batch", ""],
  ["cap-notify", ""],
  ["draft/account-registration", "before-connect"],
  ["draft/chathistory", ""],
  ["draft/message-redaction", ""],
  ["draft/metadata-2", ""], // its value follows the limits: see capValue
  ["draft/multiline", ""], // its value follows the limits: see capValue
  ["draft/no-implicit-names", ""],
  ["draft/read-marker", ""],
  ["echo-message", ""],
  ["extended-join", ""],
  ["extended-monitor", ""],
  ["invite-notify", ""],
  ["labeled-response", ""],
  ["message-tags", ""],
  ["multi-prefix", ""],
  ["sasl", "PLAIN"],
  ["server-time", ""],
  ["setname", ""],
  ["soju.im/search", ""],
  ["userhost-in-names", ""],
]);

/**
 * How long (seconds) a client keeps to TLS after seeing our STS persistence policy. A week:
 * long enough to matter, short enough that a server which stops offering TLS (a removed
 * certificate) does not lock its users out for long.
 */
export const STS_DURATION = 7 * 86400;

/**
 * The value of the IRCv3 `sts` capability for a connection, or undefined to leave the cap
 * out. `tls` describes the TLS listener (undefined when there is none).
 *
 * Plain-text connections get `port=N` (upgrade to TLS), TLS connections `duration=…` (keep
 * to TLS) — but only when a CA vouches for the certificate. Clients honouring STS switch to
 * TLS with full certificate verification and must not fall back to plain text (The Lounge,
 * for one, turns on `rejectUnauthorized`): with our self-signed certificate that
 * verification fails, so advertising STS would lock every such client out. A self-signed
 * server therefore sends no `sts` at all; its users opt into TLS explicitly and pin the
 * fingerprint (`chat-client --tls`, `/set irc.server.x.ssl_fingerprint`).
 *
 * @example
 * ```ts
 * import { stsValue } from "./caps.ts";
 * stsValue("tcp", { port: 6697, selfSigned: false }); // "port=6697"
 * stsValue("tls", { port: 6697, selfSigned: false }); // "duration=604800"
 * stsValue("tcp", { port: 6697, selfSigned: true }); // undefined
 * ```
 */
export function stsValue(
  kind: "tcp" | "tls" | "websocket",
  tls: { port: number; selfSigned: boolean } | undefined,
): string | undefined {
  if (!tls || tls.port === 0 || tls.selfSigned) return undefined;
  if (kind === "tcp") return `port=${tls.port}`;
  if (kind === "tls") return `duration=${STS_DURATION}`;
  return undefined; // browsers follow HTTP's own HSTS, not IRC caps
}

/**
 * The value a capability is offered with in `CAP LS 302`: `draft/multiline` and
 * `draft/metadata-2` carry the server's limits, the others their fixed value.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { capValue } from "./caps.ts";
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * strictEqual(capValue("draft/multiline", DEFAULT_LIMITS), "max-bytes=4096,max-lines=100");
 * strictEqual(
 *   capValue("draft/metadata-2", DEFAULT_LIMITS),
 *   "before-connect,max-subs=50,max-keys=20,max-value-bytes=300",
 * );
 * strictEqual(capValue("sasl", DEFAULT_LIMITS), "PLAIN");
 * ```
 */
export function capValue(
  name: string,
  limits: Pick<
    Limits,
    | "multilineMaxBytes"
    | "multilineMaxLines"
    | "metadataMaxSubs"
    | "metadataMaxKeys"
    | "metadataMaxValueBytes"
  >,
): string {
  if (name === "draft/multiline") {
    return `max-bytes=${limits.multilineMaxBytes},max-lines=${limits.multilineMaxLines}`;
  }
  if (name === "draft/metadata-2") {
    return `before-connect,max-subs=${limits.metadataMaxSubs},max-keys=${limits.metadataMaxKeys},` +
      `max-value-bytes=${limits.metadataMaxValueBytes}`;
  }
  return SUPPORTED_CAPS.get(name) ?? "";
}

/** Bit in a session's tag mask: the client accepts message tags in general (msgid, +tags). */
export const TAG_MESSAGE_TAGS = 1;
/** Bit in a session's tag mask: the client accepts the `time` tag. */
export const TAG_SERVER_TIME = 2;
/** Bit in a session's tag mask: the client accepts the `account` tag. */
export const TAG_ACCOUNT = 4;
/** Bit in a session's tag mask: the client accepts the `batch` tag. */
export const TAG_BATCH = 8;
/**
 * Bit in a session's tag mask: the client takes multiline messages as a `draft/multiline`
 * batch (it has that cap and `batch`); without it they arrive as separate lines.
 */
export const TAG_MULTILINE = 16;
/** How many distinct tag forms there can be. */
export const TAG_FORMS = 32;

/**
 * The tag mask of a set of enabled capabilities.
 *
 * @example
 * ```ts
 * import { tagMaskOf, TAG_SERVER_TIME } from "./caps.ts";
 * tagMaskOf(new Set(["server-time"])) === TAG_SERVER_TIME; // true
 * ```
 */
export function tagMaskOf(caps: ReadonlySet<string>): number {
  let mask = 0;
  if (caps.has("message-tags")) mask |= TAG_MESSAGE_TAGS;
  if (caps.has("server-time")) mask |= TAG_SERVER_TIME;
  if (caps.has("account-tag")) mask |= TAG_ACCOUNT;
  if (caps.has("batch")) mask |= TAG_BATCH;
  if (caps.has("draft/multiline") && caps.has("batch")) mask |= TAG_MULTILINE;
  return mask;
}

/**
 * Whether a tag may go to a session with the given mask.
 *
 * @example
 * ```ts
 * import { tagAllowed, TAG_SERVER_TIME } from "./caps.ts";
 * tagAllowed("time", TAG_SERVER_TIME); // true
 * tagAllowed("msgid", TAG_SERVER_TIME); // false
 * ```
 */
export function tagAllowed(tag: string, mask: number): boolean {
  switch (tag) {
    case "time":
      return (mask & TAG_SERVER_TIME) !== 0;
    case "account":
      return (mask & TAG_ACCOUNT) !== 0;
    case "batch":
      return (mask & TAG_BATCH) !== 0;
    case "label":
      return true; // only ever added for the labeled sender, who asked for it
    case "draft/multiline-concat":
      return true; // only ever inside a draft/multiline batch, to a client that asked for it
    default:
      return (mask & TAG_MESSAGE_TAGS) !== 0;
  }
}
