import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  filehostUrl,
  fitsMultiline,
  isInlineImage,
  joinMultiline,
  mayRedact,
  monitorNicks,
  multilineParts,
  parseMultilineCap,
  searchAttributes,
  uploadHeaders,
} from "../../lib/shared/modern_chat.ts";

Deno.test("multilineParts() keeps every character and joinMultiline() gives the text back", () => {
  const text = "short\n\nthis line is long enough to be cut ééé\nend";
  const parts = multilineParts(text, 10);
  for (const p of parts) {
    const n = new TextEncoder().encode(p.text).length;
    if (n > 10) throw new Error(`part too long: ${p.text}`);
  }
  assertEquals(joinMultiline(parts), text);
  assertEquals(parts[0], { text: "short", concat: false });
  assertEquals(parts[1], { text: "", concat: false });
  assertEquals(parts[2], { text: "this line ", concat: false });
  assertEquals(parts[3].concat, true);
});

Deno.test("parseMultilineCap() and fitsMultiline()", () => {
  assertEquals(parseMultilineCap("max-bytes=40,max-lines=2"), { maxBytes: 40, maxLines: 2 });
  assertEquals(parseMultilineCap("max-bytes=40"), { maxBytes: 40, maxLines: Infinity });
  assertEquals(parseMultilineCap(""), undefined);
  const parts = multilineParts("a\nb\nc", 100);
  assertEquals(fitsMultiline(parts, { maxBytes: 5, maxLines: 3 }), true);
  assertEquals(fitsMultiline(parts, { maxBytes: 5, maxLines: 2 }), false);
  assertEquals(fitsMultiline(parts, { maxBytes: 4, maxLines: 3 }), false);
});

Deno.test("searchAttributes() escapes values", () => {
  assertEquals(searchAttributes({ text: "a;b c" }), "text=a\\:b\\sc");
  assertEquals(searchAttributes({ text: "x", in: "#a", limit: 5 }), "in=#a;limit=5;text=x");
});

Deno.test("monitorNicks(), filehostUrl(), uploadHeaders(), isInlineImage(), mayRedact()", () => {
  assertEquals(monitorNicks("a!u@h,b,,c!x@y"), ["a", "b", "c"]);
  assertEquals(filehostUrl("ftp://x/ /up", "http://127.0.0.1:8080/"), "http://127.0.0.1:8080/up");
  assertEquals(filehostUrl("", "http://h/"), undefined);
  assertEquals(uploadHeaders("a b.txt", ""), {
    "Content-Type": "application/octet-stream",
    "Content-Disposition": "attachment; filename*=UTF-8''a%20b.txt",
  });
  assertEquals(
    uploadHeaders("x", "text/plain", { account: "é", password: "p" }).Authorization,
    "Basic w6k6cA==",
  );
  const up = "http://h:1/upload";
  assertEquals(isInlineImage("http://h:1/uploads/x.PNG", up, "http://h:1"), true);
  assertEquals(isInlineImage("http://h:1/uploads/x.html", up, "http://h:1"), false);
  assertEquals(isInlineImage("http://h:1/upload/abc", up, "http://h:1"), true);
  assertEquals(isInlineImage("http://other/x.png", up, "http://h:1"), false);
  assertEquals(isInlineImage("not a url", up, "http://h:1"), false);
  assertEquals([mayRedact(true, ""), mayRedact(false, "~"), mayRedact(false, "+v")], [
    true,
    true,
    false,
  ]);
});
