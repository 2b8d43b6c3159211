/**
 * IRCv3 `draft/multiline`: a message of several lines, sent by a client as a batch
 * (`BATCH +id draft/multiline <target>`, PRIVMSG or NOTICE lines tagged `batch=id`, some with
 * `draft/multiline-concat`, then `BATCH -id`) and delivered as one message.
 *
 * This module holds the two halves that are not a command handler: the batch a session is
 * sending ({@link MultilineBatch}, bounded by max-bytes, max-lines and a deadline; the
 * dispatcher hands it the batch's lines through {@link batchIntake}), and the message on its
 * way out ({@link MultilineOutgoing}), which every delivery path sends like any other
 * {@link Outgoing}: a `draft/multiline` batch to sessions with the cap, the separate lines
 * to the others, each form encoded once per tag mask. The BATCH command itself is handled
 * in handlers/messaging.ts.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { FramedLine } from "../protocol/framer.ts";
import { type IrcMessage, parseMessage } from "../protocol/message.ts";
import { TAG_FORMS, TAG_MULTILINE } from "./caps.ts";
import { charge } from "./fakelag.ts";
import type { Limits } from "./limits.ts";
import { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";

const encoder = new TextEncoder();

/** The tag that joins a line to the previous one without a line feed. */
export const CONCAT_TAG = "draft/multiline-concat";

/** One line of a multiline message. */
export interface MultilinePart {
  text: string;
  /** Joined to the previous line without a line feed (`draft/multiline-concat`). */
  concat: boolean;
}

/**
 * The combined value of a multiline message (lines joined by "\n", concatenated lines
 * directly) and the offsets where the concatenated lines start, as history stores them
 * (`HistoryMessage.multiline`).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { joinParts } from "./multiline.ts";
 * deepStrictEqual(
 *   joinParts([{ text: "hello", concat: false }, { text: "how is ", concat: false }, {
 *     text: "everyone?",
 *     concat: true,
 *   }]),
 *   { text: "hello\nhow is everyone?", concat: [13] },
 * );
 * ```
 */
export function joinParts(parts: readonly MultilinePart[]): { text: string; concat: number[] } {
  let text = "";
  const concat: number[] = [];
  parts.forEach((p, i) => {
    if (i > 0) {
      if (p.concat) concat.push(text.length);
      else text += "\n";
    }
    text += p.text;
  });
  return { text, concat };
}

/**
 * The lines of a stored multiline message, back from {@link joinParts}' form.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { splitParts } from "./multiline.ts";
 * deepStrictEqual(splitParts("a\nx", [2]), [
 *   { text: "a", concat: false },
 *   { text: "", concat: false },
 *   { text: "x", concat: true },
 * ]);
 * deepStrictEqual(splitParts("a\n\nbc", [4]), [
 *   { text: "a", concat: false },
 *   { text: "", concat: false },
 *   { text: "b", concat: false },
 *   { text: "c", concat: true },
 * ]);
 * ```
 */
export function splitParts(text: string, concat: readonly number[]): MultilinePart[] {
  const parts: MultilinePart[] = [];
  let start = 0;
  let joined = false;
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    // (at `start` itself, the line before was blank)
    if (k < concat.length && concat[k] === i) {
      parts.push({ text: text.slice(start, i), concat: joined });
      start = i;
      joined = true;
      k++;
    }
    if (text[i] === "\n") {
      parts.push({ text: text.slice(start, i), concat: joined });
      start = i + 1;
      joined = false;
    }
  }
  parts.push({ text: text.slice(start), concat: joined });
  return parts;
}

/**
 * A multiline message on its way out. Its `params` are `[target, combined text]` and its
 * `tags` those of the whole message (msgid, time, account, client tags), as for a one-line
 * message; its wire form depends on the session: with {@link TAG_MULTILINE} in the tag mask
 * the `draft/multiline` batch (every tag on the opening BATCH, the lines inside it),
 * otherwise the non-blank lines one by one (msgid and client tags on the first, time and
 * account on each), per the spec's fallback. Extra tags (a label, an enclosing batch) go on
 * the batch's own BATCH lines, or on each fallback line.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MultilineOutgoing } from "./multiline.ts";
 * const out = new MultilineOutgoing("n!u@h", "PRIVMSG", "#c", [
 *   { text: "one", concat: false },
 *   { text: "two", concat: false },
 * ], { msgid: "x" }, () => "b1");
 * strictEqual(
 *   new TextDecoder().decode(out.bytes(1)),
 *   "@msgid=x :n!u@h PRIVMSG #c :one\r\n:n!u@h PRIVMSG #c :two\r\n",
 * );
 * strictEqual(
 *   new TextDecoder().decode(out.bytes(1 | 8 | 16)),
 *   "@msgid=x :n!u@h BATCH +b1 draft/multiline #c\r\n" +
 *     "@batch=b1 :n!u@h PRIVMSG #c :one\r\n@batch=b1 :n!u@h PRIVMSG #c :two\r\n:n!u@h BATCH -b1\r\n",
 * );
 * ```
 */
export class MultilineOutgoing extends Outgoing {
  /** The lines as the client composed them. */
  readonly parts: readonly MultilinePart[];
  /** Where concatenated lines start in the combined text (HistoryMessage.multiline). */
  readonly concat: readonly number[];
  readonly #target: string;
  readonly #batchId: string;
  #batched: Outgoing[] | undefined;
  #fallback: Outgoing[] | undefined;
  #cache: (Uint8Array | undefined)[] | undefined;

  /** `nextId` gives the batch id (one for every recipient: it is unique on the server). */
  constructor(
    source: string,
    command: string,
    target: string,
    parts: readonly MultilinePart[],
    tags: Record<string, string>,
    nextId: () => string,
  ) {
    const joined = joinParts(parts);
    super(source, command, [target, joined.text], tags);
    this.parts = parts;
    this.concat = joined.concat;
    this.#target = target;
    this.#batchId = nextId();
  }

  /** BATCH +id, the lines, BATCH -id. */
  #batchedForm(): Outgoing[] {
    if (this.#batched) return this.#batched;
    const id = this.#batchId;
    const src = this.source;
    const lines = [
      new Outgoing(src, "BATCH", ["+" + id, "draft/multiline", this.#target], {
        ...this.tags,
      }),
    ];
    for (const p of this.parts) {
      const tags: Record<string, string> = { batch: id };
      if (p.concat) tags[CONCAT_TAG] = "";
      lines.push(new Outgoing(src, this.command, [this.#target, p.text], tags));
    }
    lines.push(new Outgoing(src, "BATCH", ["-" + id]));
    return this.#batched = lines;
  }

  /** The non-blank lines (a client without the cap must not get blank ones). */
  #fallbackForm(): Outgoing[] {
    if (this.#fallback) return this.#fallback;
    const rest: Record<string, string> = {};
    for (const k of ["time", "account"]) if (k in this.tags) rest[k] = this.tags[k];
    const lines: Outgoing[] = [];
    for (const p of this.parts) {
      if (p.text === "") continue;
      const tags = lines.length === 0 ? { ...this.tags } : rest;
      lines.push(new Outgoing(this.source, this.command, [this.#target, p.text], tags));
    }
    return this.#fallback = lines;
  }

  /** The first line's body (a multiline message has no one-line body of its own). */
  override get body(): string {
    return this.#fallbackForm()[0]?.body ?? "";
  }

  /** The whole form for a tag mask, its lines joined by CRLF (none after the last). */
  override line(mask: number, extra?: Record<string, string>): string {
    if ((mask & TAG_MULTILINE) !== 0) {
      const seq = this.#batchedForm();
      const last = seq.length - 1;
      // a label goes on the opening BATCH only; an enclosing batch holds its BATCH lines
      const closing = extra !== undefined && !("label" in extra) ? extra : undefined;
      return seq.map((o, i) => o.line(mask, i === 0 ? extra : i === last ? closing : undefined))
        .join("\r\n");
    }
    const lines = this.#fallbackForm();
    const later = extra !== undefined && !("label" in extra) ? extra : undefined;
    return lines.map((o, i) => o.line(mask, i === 0 ? extra : later)).join("\r\n");
  }

  /** One logical message for a label when it is a batch, or a fallback of one line. */
  override single(mask: number): boolean {
    return (mask & TAG_MULTILINE) !== 0 || this.#fallbackForm().length <= 1;
  }

  override bytes(mask: number): Uint8Array {
    const cache = this.#cache ??= new Array(TAG_FORMS);
    return cache[mask] ??= this.#encode(mask);
  }

  override bytesWith(mask: number, extra: Record<string, string>): Uint8Array {
    return this.#encode(mask, extra);
  }

  #encode(mask: number, extra?: Record<string, string>): Uint8Array {
    const text = this.line(mask, extra);
    return text === "" ? new Uint8Array() : encoder.encode(text + "\r\n");
  }
}

/** A refusal: the FAIL BATCH code, its context parameters and the description. */
type Failure = [code: string, ...rest: string[]];

/**
 * The multiline batch a session is sending. A batch that failed (a limit, a bad line, its
 * deadline) stays as `failed` until its `BATCH -id` or another deadline, so the rest of its
 * lines are dropped quietly instead of each earning an error or being taken as messages.
 */
export class MultilineBatch {
  readonly ref: string;
  readonly target: string;
  /** The client-only tags of the opening BATCH: they belong to the whole message. */
  readonly tags: Record<string, string>;
  /** The opening BATCH's label: the message's echo (or its error) answers it. */
  readonly label: string | undefined;
  deadline: number;
  failed = false;
  command: "PRIVMSG" | "NOTICE" | undefined;
  readonly parts: MultilinePart[] = [];
  /** Bytes of the combined value so far (line feeds included), for max-bytes. */
  bytes = 0;
  /** Whether the lines taken so far have been charged to flood control. */
  #billed = false;

  constructor(
    ref: string,
    target: string,
    tags: Record<string, string>,
    label: string | undefined,
    deadline: number,
  ) {
    this.ref = ref;
    this.target = target;
    this.tags = tags;
    this.label = label;
    this.deadline = deadline;
  }

  /** Takes one line of the batch; a failure means the batch is dropped. */
  add(msg: IrcMessage, limits: Limits): Failure | undefined {
    const command = msg.command;
    if (command !== "PRIVMSG" && command !== "NOTICE") {
      return ["MULTILINE_INVALID", "A multiline batch holds only PRIVMSG or NOTICE lines"];
    }
    if (this.command !== undefined && command !== this.command) {
      return ["MULTILINE_INVALID", "A multiline batch holds PRIVMSG or NOTICE lines, not both"];
    }
    const [target, text] = msg.params;
    if (text === undefined) return ["MULTILINE_INVALID", "A line of the batch has no text"];
    if (casefold(target) !== casefold(this.target)) {
      return [
        "MULTILINE_INVALID_TARGET",
        this.target,
        target,
        "Every line of a multiline batch must go to the batch's target",
      ];
    }
    // the first line has nothing to be joined to
    const concat = CONCAT_TAG in msg.tags && this.parts.length > 0;
    if (concat && text === "") {
      return ["MULTILINE_INVALID", "A concatenated line may not be blank"];
    }
    this.bytes += encoder.encode(text).length + (this.parts.length > 0 && !concat ? 1 : 0);
    if (this.bytes > limits.multilineMaxBytes) {
      return [
        "MULTILINE_MAX_BYTES",
        String(limits.multilineMaxBytes),
        `A multiline message may have at most ${limits.multilineMaxBytes} bytes`,
      ];
    }
    if (this.parts.length >= limits.multilineMaxLines) {
      return [
        "MULTILINE_MAX_LINES",
        String(limits.multilineMaxLines),
        `A multiline message may have at most ${limits.multilineMaxLines} lines`,
      ];
    }
    this.command = command;
    this.parts.push({ text, concat });
    return undefined;
  }

  /** What is wrong with the batch as it closes, if anything. */
  check(): Failure | undefined {
    if (this.parts.every((p) => p.text === "")) {
      return ["MULTILINE_INVALID", "A multiline message needs a line that is not blank"];
    }
    return undefined;
  }

  /**
   * Flood-control tokens the batch costs, however it ends (its lines skipped the bucket): as
   * many as the text would take in full lines, and at least one per 8 lines, each of which
   * a client without the cap receives as a message of its own.
   */
  cost(): number {
    return Math.max(Math.ceil(this.bytes / 512), Math.ceil(this.parts.length / 8));
  }

  /**
   * Charges the session's flood bucket for the lines the batch took, once: when it is
   * delivered, and as well when it fails or is dropped (else opening batch after batch would
   * make any number of lines free).
   */
  settle(session: Session, limits: Limits): void {
    if (this.#billed) return;
    this.#billed = true;
    charge(session, limits, this.cost(), Date.now());
  }

  /** Marks the batch refused (its later lines are dropped quietly), and bills it. */
  fail(session: Session, limits: Limits): void {
    this.failed = true;
    this.settle(session, limits);
  }
}

/** Ends the session's batch (billing what it took), whatever became of it. */
export function closeBatch(session: Session, limits: Limits): MultilineBatch | undefined {
  const batch = session.multiline;
  session.multiline = undefined;
  batch?.settle(session, limits);
  return batch;
}

/** Tells the session its batch was refused (with the batch's label, which it answers). */
export function failBatch(
  session: Session,
  serverName: string,
  batch: MultilineBatch | undefined,
  failure: Failure,
): void {
  const out = new Outgoing(serverName, "FAIL", ["BATCH", ...failure]);
  const label = batch?.label;
  if (label === undefined) session.send(out);
  else session.write(out.bytesWith(session.tagMask, { label }));
}

/**
 * Whether an input line is the next line of the session's open, healthy batch, so that it
 * skips flood control (the batch is billed as a whole when it closes, see
 * {@link MultilineBatch.cost}; max-lines bounds it).
 */
export function isBatchedLine(batch: MultilineBatch, line: FramedLine): boolean {
  if (batch.failed || line.kind !== "line" || line.text[0] !== "@") return false;
  return parseMessage(line.text)?.tags["batch"] === batch.ref;
}

/**
 * Runs one parsed line of a session that has a batch open: returns true when the line
 * belonged to the batch (taken, or dropped with it), false when the dispatcher is to handle
 * it as usual — BATCH itself, PING and PONG, and any other command, which first drops the
 * batch (a client may send nothing else while a batch is open).
 */
export function batchIntake(
  session: Session,
  msg: IrcMessage,
  limits: Limits,
  serverName: string,
): boolean {
  const batch = session.multiline!;
  if (msg.command === "BATCH") return false;
  const ref = msg.tags["batch"];
  if (ref === undefined) {
    if (msg.command === "PING" || msg.command === "PONG") return false;
    closeBatch(session, limits);
    if (!batch.failed) {
      failBatch(session, serverName, batch, [
        "MULTILINE_INVALID",
        `${msg.command} was sent inside a multiline batch, which is dropped`,
      ]);
    }
    return false;
  }
  if (ref !== batch.ref) {
    closeBatch(session, limits);
    failBatch(session, serverName, batch, [
      "MULTILINE_INVALID",
      "A line came for another batch than the open one; both are dropped",
    ]);
    return true;
  }
  if (batch.failed) return true;
  const failure = batch.add(msg, limits);
  if (failure) {
    batch.fail(session, limits);
    failBatch(session, serverName, batch, failure);
  }
  return true;
}

/**
 * Drops a batch left open past its deadline (the liveness sweep calls this): FAIL BATCH
 * TIMEOUT, then its late lines are dropped quietly for one more timeout.
 */
export function expireBatch(
  session: Session,
  now: number,
  limits: Limits,
  serverName: string,
): void {
  const batch = session.multiline;
  if (batch === undefined || now < batch.deadline) return;
  if (batch.failed) {
    closeBatch(session, limits);
    return;
  }
  batch.fail(session, limits);
  batch.deadline = now + limits.multilineTimeout * 1000;
  failBatch(session, serverName, batch, [
    "TIMEOUT",
    batch.ref,
    `The multiline batch was not closed within ${limits.multilineTimeout} seconds; it was dropped`,
  ]);
}
