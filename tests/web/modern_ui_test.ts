import assert from "node:assert/strict";
import {
  advertised,
  isInlineImage,
  mayRedact,
  onPage,
  QUICK_REACTIONS,
} from "../../lib/web/static/modern_ui.ts";

Deno.test("isInlineImage() shows only images of the page's own upload place", () => {
  const up = "http://h:1/upload";
  assert.equal(isInlineImage("http://h:1/uploads/x.PNG", up, "http://h:1"), true);
  assert.equal(isInlineImage("http://h:1/uploads/x.html", up, "http://h:1"), false);
  assert.equal(isInlineImage("http://h:1/upload/abc", up, "http://h:1"), true);
  assert.equal(isInlineImage("http://other/x.png", up, "http://h:1"), false);
  assert.equal(isInlineImage("not a url", up, "http://h:1"), false);
});

Deno.test("mayRedact() allows our own messages and operators", () => {
  assert.deepEqual([mayRedact(true, ""), mayRedact(false, "~"), mayRedact(false, "+v")], [
    true,
    true,
    false,
  ]);
  assert.ok(QUICK_REACTIONS.includes("👍"));
});

Deno.test("onPage() and advertised(): the file host as this server under the page's name", () => {
  const up = "http://10.0.0.5:8080/upload";
  const page = "http://localhost:8080";
  // the same server (scheme and port): uploads and previews go to the page's own origin
  assert.equal(onPage(up, up, page), "http://localhost:8080/upload");
  assert.equal(
    onPage("http://10.0.0.5:8080/uploads/i/a%20b.png?x#y", up, page),
    "http://localhost:8080/uploads/i/a%20b.png?x#y",
  );
  // and the link it posts is the advertised address, which the others reach
  assert.equal(
    advertised("http://localhost:8080/uploads/i/x.png", up, page),
    "http://10.0.0.5:8080/uploads/i/x.png",
  );
  // links elsewhere stay as they are
  assert.equal(onPage("http://evil.org:8080/x.png", up, page), "http://evil.org:8080/x.png");
  assert.equal(advertised("http://evil.org/x.png", up, page), "http://evil.org/x.png");
  // another port or scheme is another server (a proxy in front): nothing is moved
  assert.equal(onPage(up, up, "http://localhost:9000"), up);
  assert.equal(onPage(up, up, "https://localhost:8080"), up);
  assert.equal(onPage("not a url", up, page), "not a url");
});
