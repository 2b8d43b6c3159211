import assert from "node:assert/strict";
import {
  basicAuth,
  contentDisposition,
  filehostUrl,
  guessContentType,
  uploadedLocation,
  uploadHeaders,
  uploadUrl,
} from "../../lib/shared/filehost_upload.ts";

const errorOf = (r: string | { error: string }) => typeof r === "string" ? r : r.error;

Deno.test("uploadUrl() refuses an unknown scheme and a relative Location is resolved", () => {
  assert.match(
    errorOf(uploadUrl(new Map([["soju.im/FILEHOST", "ftp://h/up"]]), false)),
    /not http/,
  );
  assert.equal(uploadUrl(new Map([["draft/FILEHOST", "https://h/up"]]), true), "https://h/up");
  assert.equal(
    uploadUrl(
      new Map([["soju.im/FILEHOST", "https://a/up"], ["draft/FILEHOST", "https://b/up"]]),
      true,
    ),
    "https://a/up",
  );
  assert.match(errorOf(uploadUrl(new Map(), false)), /does not offer file uploads/);
  assert.equal(uploadedLocation("javascript:alert(1)", "https://h/up"), undefined);
  assert.equal(uploadedLocation(null, "https://h/up"), undefined);
  assert.equal(uploadedLocation("/upload/ab.png", "http://h:8/upload"), "http://h:8/upload/ab.png");
});

Deno.test("filehostUrl() takes the first usable URL, resolved against the page", () => {
  assert.equal(
    filehostUrl("ftp://x/ /up", false, "http://127.0.0.1:8080/"),
    "http://127.0.0.1:8080/up",
  );
  assert.match(errorOf(filehostUrl("", false, "http://h/")), /does not offer file uploads/);
  // without a page, a relative address is not valid
  assert.match(errorOf(filehostUrl("/up", false)), /not a valid URL/);
});

Deno.test("filehostUrl() refuses plain http when the chat is encrypted", () => {
  assert.match(errorOf(filehostUrl("http://h/up", true)), /unencrypted/);
  assert.match(errorOf(filehostUrl("/up", true, "http://page/")), /unencrypted/);
  assert.equal(filehostUrl("http://h/up https://h/up", true), "https://h/up");
  assert.equal(filehostUrl("/up", true, "https://page/"), "https://page/up");
});

Deno.test("uploadHeaders() names any file safely and authenticates in UTF-8", () => {
  assert.deepEqual(uploadHeaders("a b.txt", ""), {
    "Content-Type": "application/octet-stream",
    "Content-Disposition": 'attachment; filename="a b.txt"',
  });
  assert.equal(
    uploadHeaders("x", "text/plain", { account: "é", password: "p" }).Authorization,
    "Basic w6k6cA==",
  );
  assert.equal(basicAuth("é", "p"), "Basic w6k6cA==");
  assert.equal(
    contentDisposition('a"b\\c.txt'),
    "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt",
  );
  assert.equal(guessContentType("shot.PNG"), "image/png");
  assert.equal(guessContentType("README"), "application/octet-stream");
});
