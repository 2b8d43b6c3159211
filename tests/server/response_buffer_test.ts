import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { TAG_BATCH } from "../../lib/server/caps.ts";
import { Outgoing } from "../../lib/server/outgoing.ts";
import { ResponseBuffer } from "../../lib/server/response_buffer.ts";
import type { Session } from "../../lib/server/session.ts";

/** What a ResponseBuffer uses of a session, recording the lines written. */
function fakeSession(caps: string[]): { session: Session; lines: string[] } {
  const lines: string[] = [];
  const decoder = new TextDecoder();
  const tagMask = caps.includes("batch") ? TAG_BATCH : 0;
  const write = (bytes: Uint8Array) => lines.push(decoder.decode(bytes).replace(/\r\n$/, ""));
  const session = {
    caps: new Set(caps),
    tagMask,
    write,
    send: (out: Outgoing) => write(out.bytes(tagMask)),
  } as unknown as Session;
  return { session, lines };
}

function ids(): () => string {
  let n = 0;
  return () => `b${++n}`;
}

const notice = (text: string) => new Outgoing("srv", "NOTICE", ["me", text]);

Deno.test("ResponseBuffer without a label passes replies straight through", () => {
  const { session, lines } = fakeSession(["batch"]);
  const rb = new ResponseBuffer(session, undefined, "srv", ids());
  rb.add(notice("one"));
  assertEquals(lines, [":srv NOTICE me :one"]);
  const id = rb.startBatch("chathistory", ["#c"]);
  rb.add(notice("two"));
  rb.endBatch(id);
  rb.flush();
  assertEquals(lines, [
    ":srv NOTICE me :one",
    ":srv BATCH +b1 chathistory #c",
    "@batch=b1 :srv NOTICE me :two",
    ":srv BATCH -b1",
  ]);
});

Deno.test("ResponseBuffer with a label: ACK, one labeled line, or a labeled batch", () => {
  const a = fakeSession(["batch", "labeled-response"]);
  new ResponseBuffer(a.session, "x", "srv", ids()).flush();
  assertEquals(a.lines, ["@label=x :srv ACK"]);

  const b = fakeSession(["batch", "labeled-response"]);
  const one = new ResponseBuffer(b.session, "y", "srv", ids());
  one.add(notice("only"));
  assertEquals(b.lines, [], "held until the command is done");
  one.flush();
  assertEquals(b.lines, ["@label=y :srv NOTICE me :only"]);

  const c = fakeSession(["batch", "labeled-response"]);
  const many = new ResponseBuffer(c.session, "z", "srv", ids());
  many.add(notice("before"));
  const inner = many.startBatch("chathistory", ["#c"]);
  many.add(notice("history"));
  many.endBatch(inner);
  many.flush();
  assertEquals(c.lines, [
    "@label=z :srv BATCH +b2 labeled-response",
    "@batch=b2 :srv NOTICE me :before",
    "@batch=b2 :srv BATCH +b1 chathistory #c",
    "@batch=b1 :srv NOTICE me :history",
    "@batch=b2 :srv BATCH -b1",
    ":srv BATCH -b2",
  ]);
});

Deno.test("ResponseBuffer: no batch cap means unbatched lines; batches close innermost first", () => {
  const { session, lines } = fakeSession([]);
  const rb = new ResponseBuffer(session, undefined, "srv", ids());
  const id = rb.startBatch("chathistory");
  assertEquals(id, "");
  rb.add(notice("plain"));
  rb.endBatch(id);
  assertEquals(lines, [":srv NOTICE me :plain"]);

  const other = new ResponseBuffer(fakeSession(["batch"]).session, undefined, "srv", ids());
  const outer = other.startBatch("a");
  other.startBatch("b");
  throws(() => other.endBatch(outer), /not the innermost/);
});

Deno.test("ResponseBuffer: batches left open are closed by flush", () => {
  const { session, lines } = fakeSession(["batch"]);
  const rb = new ResponseBuffer(session, undefined, "srv", ids());
  rb.startBatch("a");
  rb.startBatch("b");
  rb.flush();
  assertEquals(lines, [
    ":srv BATCH +b1 a",
    "@batch=b1 :srv BATCH +b2 b",
    "@batch=b1 :srv BATCH -b2",
    ":srv BATCH -b1",
  ]);
});

Deno.test("ResponseBuffer: an empty label is no label", () => {
  const { session, lines } = fakeSession(["batch", "labeled-response"]);
  const rb = new ResponseBuffer(session, "", "srv", ids());
  rb.add(notice("hi"));
  rb.flush();
  assertEquals(lines, [":srv NOTICE me :hi"]);
});
