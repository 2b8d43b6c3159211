/**
 * Every limit of the server in one place, with defaults close to what large IRC networks
 * use. Each can be changed at start with `--limit name=value` (see {@link parseLimitOverride}),
 * which is also how the benchmark lifts flood and per-IP limits.
 *
 * @module
 */

/** All tunable limits. Times are in seconds, sizes in bytes. */
export interface Limits {
  /** Longest nickname (ISUPPORT NICKLEN). */
  nickLen: number;
  /** Longest channel name including '#' (ISUPPORT CHANNELLEN). */
  channelLen: number;
  /** Longest topic (ISUPPORT TOPICLEN). */
  topicLen: number;
  /** Longest kick reason (ISUPPORT KICKLEN). */
  kickLen: number;
  /** Longest away message (ISUPPORT AWAYLEN). */
  awayLen: number;
  /** Longest user name (ISUPPORT USERLEN). */
  userLen: number;
  /** Longest real name. */
  realnameLen: number;
  /** Channels one user may be in (ISUPPORT CHANLIMIT). */
  channelsPerUser: number;
  /** Targets in one PRIVMSG/NOTICE (ISUPPORT TARGMAX). */
  targetsPerMessage: number;
  /** Entries in each of a channel's mask lists: bans, exceptions, invite exceptions (MAXLIST). */
  banListSize: number;
  /** Parameterised mode changes in one MODE command (ISUPPORT MODES). */
  modesPerCommand: number;
  /** Connections (devices) logged in to one account at once, sharing its nick (multiclient). */
  sessionsPerAccount: number;
  /** Remembered WHOWAS entries in total. */
  whowasSize: number;
  /** Bytes a client may have queued for sending before it is dropped (SendQ exceeded). */
  sendQ: number;
  /** Connections in total. */
  maxConnections: number;
  /** Connections from one IP address (loopback is exempt unless limitLoopback is 1). */
  maxPerIp: number;
  /** 1 to apply maxPerIp and the per-address login, hashing and registration limits to loopback too. */
  limitLoopback: number;
  /** Seconds a connection may take to register. */
  registrationTimeout: number;
  /** Seconds of silence before the server sends PING. */
  pingInterval: number;
  /** Seconds to wait for any reply to that PING before dropping the client. */
  pingTimeout: number;
  /** Flood control: commands a client may send at once before it is slowed (0 turns it off). */
  floodBurst: number;
  /** Flood control: commands per second a client may sustain after its burst. */
  floodRate: number;
  /** Seconds a closing connection may take to flush its last bytes. */
  closeGrace: number;
  /** Seconds someone may hold a registered nick without logging in before being renamed. */
  nickGrace: number;
  /** Seconds a registered nick taken back from someone else is kept for its owner only. */
  nickHold: number;
  /** Failed logins on one account from one address before that address must wait (loginWindow). */
  loginAttempts: number;
  /** Seconds over which failed logins are counted. */
  loginWindow: number;
  /** Failed logins from one address, over all accounts, before it must wait (loopback exempt). */
  loginSourceAttempts: number;
  /**
   * Failed logins on one account from all addresses before addresses that failed on it must
   * wait; an address that has not failed on it may still log in.
   */
  loginAccountCeiling: number;
  /** Password hashes (scrypt) computed at once. */
  hashConcurrency: number;
  /** Password checks waiting for a hashing slot before more are refused ("server busy"). */
  hashQueue: number;
  /** Password checks one address may have running or waiting (loopback exempt; 0 = no cap). */
  hashPerSource: number;
  /** Accounts one address may register per registerWindow (loopback exempt). */
  registerPerSource: number;
  /** Seconds over which registrations per address are counted. */
  registerWindow: number;
  /** Lines of channel history replayed on join to clients without chathistory (0 = none). */
  historyPlayback: number;
  /** Most messages one CHATHISTORY request returns (ISUPPORT CHATHISTORY). */
  chathistoryMax: number;
  /** Days messages are kept. */
  historyDays: number;
  /** Messages kept per channel or private conversation. */
  historyPerTarget: number;
  /** Seconds a peer has to complete the TLS handshake (IRC and web ports). */
  tlsHandshakeTimeout: number;
  /** Seconds an HTTP client has to send a whole request head (also the keep-alive idle time). */
  httpHeaderTimeout: number;
  /** Open connections to the web port from one IP address (loopback exempt unless limitLoopback). */
  httpMaxPerIp: number;
  /** File descriptors the process may use (0 = its open-files limit, `ulimit -n`). */
  maxDescriptors: number;
  /** Descriptors never given to connections: kept for the store, logs and the other ports. */
  descriptorReserve: number;
  /** Percentage of the connection descriptors one listening port may hold. */
  portDescriptorShare: number;
  /** Largest file one upload may be, in bytes (soju.im/FILEHOST on the web port; 0 = no uploads). */
  uploadMaxBytes: number;
  /** Bytes of uploads one account may keep in all. */
  uploadQuotaBytes: number;
  /** Nicks one connection may watch with MONITOR (ISUPPORT MONITOR). */
  monitorSize: number;
  /** Read markers kept in memory per user (guests, and conversations with guests). */
  readMarkersInMemory: number;
  /** A guest's own messages it can still redact: the last this many it sent. */
  guestRedactable: number;
  /** Bytes of text in one draft/multiline message (its `max-bytes`). */
  multilineMaxBytes: number;
  /** Lines in one draft/multiline message (its `max-lines`). */
  multilineMaxLines: number;
  /** Seconds a client may keep a multiline batch open before it is dropped. */
  multilineTimeout: number;
  /** Metadata keys one connection may subscribe to (draft/metadata-2 `max-subs`). */
  metadataMaxSubs: number;
  /** Metadata keys one user or channel may have set (draft/metadata-2 `max-keys`). */
  metadataMaxKeys: number;
  /** Bytes of one metadata value (draft/metadata-2 `max-value-bytes`). */
  metadataMaxValueBytes: number;
  /** Bytes of one metadata key name. */
  metadataKeyLen: number;
  /**
   * Flood-control tokens a metadata change costs besides its line: everyone sharing a
   * channel may be told of it, as of a nick change.
   */
  metadataChangeCost: number;
}

/** The defaults. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  nickLen: 30,
  channelLen: 64,
  topicLen: 390,
  kickLen: 390,
  awayLen: 390,
  userLen: 18,
  realnameLen: 150,
  channelsPerUser: 100,
  targetsPerMessage: 4,
  banListSize: 100,
  modesPerCommand: 6,
  sessionsPerAccount: 8,
  whowasSize: 1000,
  sendQ: 1024 * 1024,
  maxConnections: 100000,
  maxPerIp: 10,
  limitLoopback: 0,
  registrationTimeout: 60,
  pingInterval: 120,
  pingTimeout: 60,
  floodBurst: 20,
  floodRate: 4,
  closeGrace: 2,
  nickGrace: 30,
  nickHold: 300,
  loginAttempts: 5,
  loginWindow: 60,
  loginSourceAttempts: 20,
  loginAccountCeiling: 100,
  hashConcurrency: 2,
  hashQueue: 32,
  hashPerSource: 4,
  registerPerSource: 5,
  registerWindow: 600,
  historyPlayback: 20,
  chathistoryMax: 100,
  historyDays: 365,
  historyPerTarget: 100000,
  tlsHandshakeTimeout: 15,
  httpHeaderTimeout: 10,
  httpMaxPerIp: 32,
  maxDescriptors: 0,
  descriptorReserve: 64,
  portDescriptorShare: 70,
  uploadMaxBytes: 10 * 1024 * 1024,
  uploadQuotaBytes: 100 * 1024 * 1024,
  monitorSize: 100,
  readMarkersInMemory: 500,
  guestRedactable: 200,
  // ergo's defaults, which clients are tested against; 100 lines of ~600 bytes to a plain
  // client stay far below the sendQ
  multilineMaxBytes: 4096,
  multilineMaxLines: 100,
  multilineTimeout: 30,
  // a key and its value must fit one METADATA line with a 64-byte channel name as target
  metadataMaxSubs: 50,
  metadataMaxKeys: 20,
  metadataMaxValueBytes: 300,
  metadataKeyLen: 64,
  metadataChangeCost: 3,
});

/** One line per limit for `--help`: name, default, description. */
export const LIMIT_DESCRIPTIONS: Readonly<Record<keyof Limits, string>> = {
  nickLen: "longest nickname",
  channelLen: "longest channel name",
  topicLen: "longest topic",
  kickLen: "longest kick reason",
  awayLen: "longest away message",
  userLen: "longest user name",
  realnameLen: "longest real name",
  channelsPerUser: "channels one user may join",
  targetsPerMessage: "targets of one PRIVMSG/NOTICE",
  banListSize: "bans (and as many exceptions, invite exceptions) per channel",
  modesPerCommand: "mode changes with a parameter per MODE",
  sessionsPerAccount: "connections logged in to one account at once (devices sharing its nick)",
  whowasSize: "WHOWAS entries remembered",
  sendQ: "bytes queued to one client before it is dropped",
  maxConnections: "connections in total",
  maxPerIp: "connections per IP address",
  limitLoopback:
    "1 applies maxPerIp and the per-address login, hashing and registration limits to 127.0.0.1/::1 too",
  registrationTimeout: "seconds to finish registering",
  pingInterval: "idle seconds before the server PINGs",
  pingTimeout: "seconds to answer that PING",
  floodBurst: "commands at once before flood control slows a client (0 = off)",
  floodRate: "commands per second sustained after the burst",
  closeGrace: "seconds to flush a closing connection",
  nickGrace: "seconds to log in before a registered nick is taken back",
  nickHold: "seconds a nick taken back is kept for its owner",
  loginAttempts: "failed logins on one account from one address before a pause",
  loginWindow: "seconds over which failed logins count",
  loginSourceAttempts: "failed logins from one address (any account) before a pause",
  loginAccountCeiling:
    "failed logins on one account from everywhere before guessing addresses wait",
  hashConcurrency: "password hashes computed at once",
  hashQueue: "password checks waiting to be hashed before 'server busy'",
  hashPerSource: "password checks one address may have queued (0 = no cap)",
  registerPerSource: "accounts one address may register per registerWindow",
  registerWindow: "seconds over which registrations per address count",
  historyPlayback: "history lines replayed on join (clients without chathistory)",
  chathistoryMax: "messages per CHATHISTORY request",
  historyDays: "days of history kept",
  historyPerTarget: "messages kept per channel or conversation",
  tlsHandshakeTimeout: "seconds to complete the TLS handshake",
  httpHeaderTimeout: "seconds to send an HTTP request head (and keep-alive idle time)",
  httpMaxPerIp: "web port connections per IP address",
  maxDescriptors: "file descriptors for the process (0 = its open-files limit)",
  descriptorReserve: "descriptors kept free for the store and the other ports",
  portDescriptorShare: "percent of connection descriptors one port may hold",
  uploadMaxBytes: "bytes one uploaded file may have (0 = no uploads)",
  uploadQuotaBytes: "bytes of uploaded files one account may keep",
  monitorSize: "nicks one connection may watch with MONITOR",
  readMarkersInMemory: "read markers kept in memory per guest (not in the store)",
  guestRedactable: "a guest's last messages it may still delete (REDACT)",
  multilineMaxBytes: "bytes of text in one multi-line message (draft/multiline max-bytes)",
  multilineMaxLines: "lines in one multi-line message (draft/multiline max-lines)",
  multilineTimeout: "seconds a multi-line message may take to arrive",
  metadataMaxSubs: "metadata keys one connection may subscribe to (draft/metadata-2 max-subs)",
  metadataMaxKeys: "metadata keys one user or channel may set (draft/metadata-2 max-keys)",
  metadataMaxValueBytes: "bytes of one metadata value (draft/metadata-2 max-value-bytes)",
  metadataKeyLen: "bytes of one metadata key name",
  metadataChangeCost: "extra flood-control tokens one metadata change costs",
};

/**
 * Parses one `name=value` override and applies it to `limits`. Returns an error sentence
 * for an unknown name or a value that is not a non-negative number.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, parseLimitOverride } from "./limits.ts";
 * const limits = { ...DEFAULT_LIMITS };
 * parseLimitOverride(limits, "floodBurst=0"); // undefined (applied)
 * parseLimitOverride(limits, "nope=1"); // "unknown limit 'nope' ..."
 * ```
 */
export function parseLimitOverride(limits: Limits, spec: string): string | undefined {
  const eq = spec.indexOf("=");
  if (eq === -1) return `--limit takes name=value, got '${spec}'`;
  const name = spec.slice(0, eq).trim();
  const raw = spec.slice(eq + 1).trim();
  if (!Object.hasOwn(DEFAULT_LIMITS, name)) {
    return `unknown limit '${name}' (known: ${Object.keys(DEFAULT_LIMITS).join(", ")})`;
  }
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value) || value < 0) {
    return `limit ${name} needs a number of 0 or more, got '${raw}'`;
  }
  limits[name as keyof Limits] = value;
  return undefined;
}
