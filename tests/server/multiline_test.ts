import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { parseMessage } from "../../lib/protocol/message.ts";
import { DEFAULT_LIMITS } from "../../lib/server/limits.ts";
import type { Session } from "../../lib/server/session.ts";
import {
  closeBatch,
  joinParts,
  MultilineBatch,
  MultilineOutgoing,
  type MultilinePart,
  splitParts,
} from "../../lib/server/multiline.ts";
import { TAG_BATCH, TAG_MESSAGE_TAGS, TAG_MULTILINE } from "../../lib/server/caps.ts";

const p = (text: string, concat = false): MultilinePart => ({ text, concat });

Deno.test("splitParts() gives back every composition joinParts() was given", () => {
  const cases: MultilinePart[][] = [
    [p("a"), p("b")],
    [p(""), p("x")],
    [p("a"), p(""), p("x", true)],
    [p("how is "), p("every", true), p("one?", true)],
    [p("a"), p(""), p(""), p("b"), p("c", true), p("")],
    [p("é🙂"), p("ü", true), p("\u0001bold")],
  ];
  for (const parts of cases) {
    const { text, concat } = joinParts(parts);
    assertEquals(splitParts(text, concat), parts);
  }
});

Deno.test("MultilineBatch counts line feeds toward max-bytes and every line toward max-lines", () => {
  const limits = { ...DEFAULT_LIMITS, multilineMaxBytes: 10, multilineMaxLines: 3 };
  const line = (text: string, concat = false) =>
    parseMessage(`@batch=r${concat ? ";draft/multiline-concat" : ""} PRIVMSG #c :${text}`)!;
  const b = new MultilineBatch("r", "#C", {}, undefined, 0);
  strictEqual(b.add(line("12345"), limits), undefined);
  strictEqual(b.add(line("678", true), limits), undefined); // 8 bytes: no line feed
  assertEquals(b.add(line("9"), limits)?.[0], undefined); // + "\n9" = 10
  assertEquals(b.add(line("x", true), limits)?.[0], "MULTILINE_MAX_BYTES");
  const c = new MultilineBatch("r", "#c", {}, undefined, 0);
  for (let i = 0; i < 3; i++) strictEqual(c.add(line("a"), limits), undefined);
  assertEquals(c.add(line("a"), limits)?.[0], "MULTILINE_MAX_LINES");
  const d = new MultilineBatch("r", "#c", {}, undefined, 0);
  assertEquals(d.add(line("a"), limits), undefined);
  assertEquals(d.add(line("", true), limits)?.[0], "MULTILINE_INVALID");
  assertEquals(
    new MultilineBatch("r", "#c", {}, undefined, 0).add(parseMessage("NOTICE #d :a")!, limits),
    [
      "MULTILINE_INVALID_TARGET",
      "#c",
      "#d",
      "Every line of a multiline batch must go to the batch's target",
    ],
  );
});

Deno.test("MultilineOutgoing puts an enclosing batch on its BATCH lines or on each fallback line", () => {
  const out = new MultilineOutgoing("n!u@h", "PRIVMSG", "#c", [p("one"), p(""), p("two")], {
    msgid: "m",
  }, () => "b");
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).split("\r\n");
  const batched = TAG_MESSAGE_TAGS | TAG_BATCH | TAG_MULTILINE;
  assertEquals(text(out.bytesWith(batched, { batch: "h" })), [
    "@batch=h;msgid=m :n!u@h BATCH +b draft/multiline #c",
    "@batch=b :n!u@h PRIVMSG #c :one",
    "@batch=b :n!u@h PRIVMSG #c :",
    "@batch=b :n!u@h PRIVMSG #c :two",
    "@batch=h :n!u@h BATCH -b",
    "",
  ]);
  assertEquals(text(out.bytesWith(TAG_MESSAGE_TAGS | TAG_BATCH, { batch: "h" })), [
    "@batch=h;msgid=m :n!u@h PRIVMSG #c :one",
    "@batch=h :n!u@h PRIVMSG #c :two",
    "",
  ]);
  strictEqual(out.single(batched), true);
  strictEqual(out.single(TAG_BATCH), false);
  strictEqual(out.params[1], "one\n\ntwo");
});

Deno.test("closeBatch() bills a dropped batch's lines to flood control, once", () => {
  const limits = { ...DEFAULT_LIMITS, floodBurst: 5, floodRate: 1 };
  const batch = new MultilineBatch("r", "#c", {}, undefined, 0);
  for (let i = 0; i < 60; i++) {
    strictEqual(batch.add(parseMessage(`@batch=r PRIVMSG #c :${i}`)!, limits), undefined);
  }
  const session = { floodTokens: 5, floodStamp: Date.now(), multiline: batch };
  strictEqual(closeBatch(session as unknown as Session, limits), batch);
  strictEqual(session.multiline, undefined);
  // 60 lines: 8 tokens (one per 8 lines), whatever became of the batch
  strictEqual(Math.round(session.floodTokens), -3);
  batch.settle(session as unknown as Session, limits);
  strictEqual(Math.round(session.floodTokens), -3);
});
