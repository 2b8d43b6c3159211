/**
 * The replies of one command (ergo's idea of a response buffer). A handler writes its replies
 * here and opens nested batches (a chathistory batch, say) here; dispatch flushes it when the
 * command is done. Without a label, replies pass straight through to the session as they are
 * written; with one (`labeled-response`), they are held and go out together at the end: an
 * `ACK` when there is nothing to say, the single reply carrying the label, or a labeled
 * `labeled-response` batch around all of them, nested batches inside it.
 *
 * Only what the command itself says to the session that sent it belongs here. What other
 * clients cause to reach this session meanwhile (their messages, while this command awaits a
 * password check or the store) goes straight to the session and is never labeled.
 *
 * @module
 */

import { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";

/**
 * One command's replies.
 *
 * @example
 * ```ts ignore
 * const rb = new ResponseBuffer(session, "abc", "srv", nextId);
 * const id = rb.startBatch("chathistory", ["#room"]);
 * rb.add(historyLine);
 * rb.endBatch(id);
 * rb.flush(); // @label=abc BATCH +x labeled-response, the nested batch, BATCH -x
 * ```
 */
export class ResponseBuffer {
  /** The session the command came from; replies go to it. */
  readonly session: Session;
  /** The command's label, when the session has labeled-response and gave one. */
  readonly label: string | undefined;
  readonly #source: string;
  readonly #nextId: () => string;
  /** Held replies (labeled commands only), with the nested batch each belongs to. */
  #held: Outgoing[] | undefined;
  #heldBatch: (string | undefined)[] | undefined;
  /** Ids of the nested batches open now, innermost last. */
  #open: string[] | undefined;
  #flushed = false;

  /**
   * `source` is the server name (the source of BATCH and ACK); `nextId` gives batch ids.
   * A label is only honoured when it is not empty.
   */
  constructor(
    session: Session,
    label: string | undefined,
    source: string,
    nextId: () => string,
  ) {
    this.session = session;
    this.label = label === "" ? undefined : label;
    this.#source = source;
    this.#nextId = nextId;
  }

  /** Adds one reply, inside the innermost open nested batch if there is one. */
  add(out: Outgoing): void {
    const batch = this.#open === undefined || this.#open.length === 0
      ? undefined
      : this.#open[this.#open.length - 1];
    this.#put(out, batch);
  }

  #put(out: Outgoing, batch: string | undefined): void {
    if (this.#flushed) {
      // a reply after the end of its command (a bug): better late than lost
      this.#write(out, batch);
      return;
    }
    if (this.label === undefined) {
      this.#write(out, batch);
      return;
    }
    (this.#held ??= []).push(out);
    (this.#heldBatch ??= []).push(batch);
  }

  #write(out: Outgoing, batch: string | undefined): void {
    const s = this.session;
    if (batch === undefined) s.send(out);
    else s.write(out.bytesWith(s.tagMask, { batch }));
  }

  /**
   * Opens a nested batch of `type` (when the session accepts batches) and returns its id, or
   * "" when the session has no `batch`: its lines then go out unbatched. Close it with
   * {@link endBatch}.
   */
  startBatch(type: string, params: readonly string[] = []): string {
    if (!this.session.caps.has("batch")) return "";
    const id = this.#nextId();
    this.add(new Outgoing(this.#source, "BATCH", ["+" + id, type, ...params]));
    (this.#open ??= []).push(id);
    return id;
  }

  /** Closes the nested batch `id` (the innermost one) that {@link startBatch} opened. */
  endBatch(id: string): void {
    if (id === "") return;
    const open = this.#open;
    if (!open || open[open.length - 1] !== id) {
      throw new Error(`batch ${id} is not the innermost open batch`);
    }
    open.pop();
    this.add(new Outgoing(this.#source, "BATCH", ["-" + id]));
  }

  /** Sends what is held, wrapped for the label. Later replies go straight to the session. */
  flush(): void {
    if (this.#flushed) return;
    // a handler that failed half-way leaves no batch open: every started batch must end
    const open = this.#open;
    while (open !== undefined && open.length > 0) this.endBatch(open[open.length - 1]);
    this.#flushed = true;
    const label = this.label;
    if (label === undefined) return;
    const s = this.session;
    const mask = s.tagMask;
    const held = this.#held;
    const heldBatch = this.#heldBatch!;
    if (held === undefined) {
      s.write(new Outgoing(this.#source, "ACK", []).bytesWith(mask, { label }));
      return;
    }
    if (held.length === 1 && held[0].single(mask)) {
      s.write(held[0].bytesWith(mask, { label }));
      return;
    }
    const id = this.#nextId();
    s.write(
      new Outgoing(this.#source, "BATCH", ["+" + id, "labeled-response"]).bytesWith(mask, {
        label,
      }),
    );
    for (let i = 0; i < held.length; i++) {
      s.write(held[i].bytesWith(mask, { batch: heldBatch[i] ?? id }));
    }
    s.write(new Outgoing(this.#source, "BATCH", ["-" + id]).bytes(mask));
  }
}
