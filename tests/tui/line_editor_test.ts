import assert from "node:assert/strict";
import { LineEditor } from "../../lib/tui/line_editor.ts";

function editor(text: string, cursor?: number): LineEditor {
  const ed = new LineEditor();
  ed.insert(text);
  if (cursor !== undefined) {
    ed.home();
    for (let i = 0; i < cursor; i++) ed.right();
  }
  return ed;
}

Deno.test("LineEditor inserts text at the cursor", () => {
  const ed = editor("held", 3);
  ed.insert("l");
  assert.equal(ed.text, "hell" + "d");
  assert.equal(ed.cursor, 4);
});

Deno.test("LineEditor moves left, right, Home and End within bounds", () => {
  const ed = editor("abc");
  ed.right();
  assert.equal(ed.cursor, 3);
  ed.left();
  ed.left();
  assert.equal(ed.cursor, 1);
  ed.home();
  ed.left();
  assert.equal(ed.cursor, 0);
  ed.end();
  assert.equal(ed.cursor, 3);
});

Deno.test("LineEditor deletes the previous character on Backspace and the next on Delete", () => {
  const ed = editor("abcd", 2);
  ed.backspace();
  assert.equal(ed.text, "acd");
  ed.delete();
  assert.equal(ed.text, "ad");
  assert.equal(ed.cursor, 1);
  ed.home();
  ed.backspace();
  ed.end();
  ed.delete();
  assert.equal(ed.text, "ad");
});

Deno.test("LineEditor deletes the previous word on Ctrl+W", () => {
  const ed = editor("hello big  world");
  ed.deleteWordBack();
  assert.equal(ed.text, "hello big  ");
  ed.deleteWordBack();
  assert.equal(ed.text, "hello ");
  ed.deleteWordBack();
  assert.equal(ed.text, "");
});

Deno.test("LineEditor deletes up to the cursor on Ctrl+U and after it on Ctrl+K", () => {
  const ed = editor("one two three", 4);
  ed.deleteToStart();
  assert.equal(ed.text, "two three");
  assert.equal(ed.cursor, 0);
  ed.wordRight();
  ed.deleteToEnd();
  assert.equal(ed.text, "two");
});

Deno.test("LineEditor treats a wide character or an emoji as one step", () => {
  const ed = editor("日😀e\u0301");
  assert.equal(ed.cursor, 3);
  ed.backspace();
  assert.equal(ed.text, "日😀");
  ed.left();
  ed.backspace();
  assert.equal(ed.text, "😀");
});

Deno.test("LineEditor recalls history with Up/Down and keeps the unfinished draft", () => {
  const ed = new LineEditor();
  ed.insert("first");
  ed.submit();
  ed.insert("second");
  ed.submit();
  ed.insert("draft");
  ed.historyPrev();
  assert.equal(ed.text, "second");
  ed.historyPrev();
  assert.equal(ed.text, "first");
  ed.historyPrev();
  assert.equal(ed.text, "first");
  ed.historyNext();
  ed.historyNext();
  assert.equal(ed.text, "draft");
});

Deno.test("LineEditor does not store empty lines or repeats in history", () => {
  const ed = new LineEditor();
  for (const t of ["a", "a", "  ", "b"]) {
    ed.insert(t);
    ed.submit();
  }
  assert.deepEqual(ed.history, ["a", "b"]);
});

Deno.test("LineEditor completes a nick at line start with ': ' and cycles on repeated Tab", () => {
  const ed = editor("al");
  const src = () => ["alice", "Alan", "bob"];
  assert.equal(ed.complete(src), true);
  assert.equal(ed.text, "alice: ");
  ed.complete(src);
  assert.equal(ed.text, "Alan: ");
  ed.complete(src);
  assert.equal(ed.text, "alice: ");
});

Deno.test("LineEditor completes a nick mid-line with a space and a command with a space", () => {
  const ed = editor("hi bo");
  ed.complete(() => ["bob"]);
  assert.equal(ed.text, "hi bob ");
  const cmd = editor("/jo");
  cmd.complete(() => ["/join", "/part"]);
  assert.equal(cmd.text, "/join ");
});

Deno.test("LineEditor reports no completion when nothing matches", () => {
  const ed = editor("zz");
  assert.equal(ed.complete(() => ["alice"]), false);
  assert.equal(ed.text, "zz");
});

Deno.test("LineEditor view scrolls horizontally to keep the cursor visible", () => {
  const ed = editor("0123456789abcdef");
  const v = ed.view(8);
  assert.equal(v.text, "9abcdef");
  assert.equal(v.cursorCol, 7);
  ed.home();
  assert.deepEqual(ed.view(8), { text: "01234567", cursorCol: 0 });
});

Deno.test("LineEditor view measures wide characters in columns", () => {
  const ed = editor("日本語");
  assert.deepEqual(ed.view(20), { text: "日本語", cursorCol: 6 });
  assert.deepEqual(ed.view(5), { text: "本語", cursorCol: 4 });
});
