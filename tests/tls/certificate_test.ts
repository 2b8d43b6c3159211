import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CertificateError,
  checkPair,
  createSelfSigned,
  derToPem,
  fingerprintOfDer,
  loadOrCreateCertificate,
  normalizeFingerprint,
  pemToDer,
} from "../../lib/tls/certificate.ts";

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-cert-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createSelfSigned() makes an ECDSA P-256/SHA-256 leaf (CA:false) naming localhost, loopback and the given names", async () => {
  const { certPem, keyPem } = await createSelfSigned(["pc.example", "192.0.2.7"]);
  const cert = new X509Certificate(certPem);
  ok(cert.ca === false);
  const san = cert.subjectAltName ?? "";
  for (const want of ["DNS:localhost", "IP Address:127.0.0.1", "DNS:pc.example", "192.0.2.7"]) {
    ok(san.includes(want), `${want} in ${san}`);
  }
  ok(/0:0:0:0:0:0:0:1|::1/i.test(san), san);
  assertEquals(cert.publicKey.asymmetricKeyType, "ec");
  assertEquals(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  const checked = await checkPair(certPem, keyPem);
  assertEquals(checked.selfSigned, true);
  assertEquals(checked.fingerprint, cert.fingerprint256);
});

Deno.test("loadOrCreateCertificate() creates the certificate once and reuses it after", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateCertificate(dir, { names: [] });
    assertEquals(first.created, true);
    assertEquals(first.selfSigned, true);
    const mode = (await Deno.stat(join(dir, "tls", "key.pem"))).mode;
    if (Deno.build.os !== "windows") assertEquals(mode! & 0o077, 0);
    const again = await loadOrCreateCertificate(dir, { names: [] });
    assertEquals(again.created, false);
    assertEquals(again.fingerprint, first.fingerprint);
    assertEquals(again.certPem, first.certPem);
  });
});

Deno.test("loadOrCreateCertificate() refuses a damaged or half-missing certificate instead of replacing it", async () => {
  await withDir(async (dir) => {
    await loadOrCreateCertificate(dir, { names: [] });
    await Deno.writeTextFile(join(dir, "tls", "cert.pem"), "garbage");
    await rejects(loadOrCreateCertificate(dir), (e: Error) => {
      ok(e instanceof CertificateError);
      ok(
        /is not a PEM certificate; remove .* to create a new certificate/.test(e.message),
        e.message,
      );
      return true;
    });
    await Deno.remove(join(dir, "tls", "key.pem"));
    await rejects(loadOrCreateCertificate(dir), /key\.pem' is missing/);
  });
});

Deno.test("loadOrCreateCertificate() with files: checks the pair and says what is wrong in one sentence", async () => {
  await withDir(async (dir) => {
    const a = await createSelfSigned([]);
    const b = await createSelfSigned([]);
    const files = {
      certA: join(dir, "a.pem"),
      keyA: join(dir, "a.key"),
      keyB: join(dir, "b.key"),
      junk: join(dir, "junk.pem"),
    };
    await Deno.writeTextFile(files.certA, a.certPem);
    await Deno.writeTextFile(files.keyA, a.keyPem);
    await Deno.writeTextFile(files.keyB, b.keyPem);
    await Deno.writeTextFile(files.junk, "not a certificate\n");
    const ok1 = await loadOrCreateCertificate(dir, { certFile: files.certA, keyFile: files.keyA });
    assertEquals(ok1.fingerprint, await fingerprintOfDer(pemToDer(a.certPem)));
    await rejects(
      loadOrCreateCertificate(dir, { certFile: files.certA, keyFile: files.keyB }),
      /b\.key' does not belong to '.*a\.pem'/,
    );
    await rejects(
      loadOrCreateCertificate(dir, { certFile: files.junk, keyFile: files.keyA }),
      /junk\.pem' is not a PEM certificate/,
    );
    await rejects(
      loadOrCreateCertificate(dir, { certFile: files.certA, keyFile: files.junk }),
      /junk\.pem' is not a PEM private key/,
    );
    await rejects(
      loadOrCreateCertificate(dir, { certFile: join(dir, "none.pem"), keyFile: files.keyA }),
      /cannot read the TLS certificate '.*none\.pem': no such file/,
    );
    // nothing was created in the data folder for a given pair
    await rejects(Deno.stat(join(dir, "tls")));
  });
});

Deno.test("normalizeFingerprint() accepts hex with or without colons, any case, sha256: prefix", () => {
  const canonical = Array(32).fill("AB").join(":");
  assertEquals(normalizeFingerprint("ab".repeat(32)), canonical);
  assertEquals(normalizeFingerprint(canonical.toLowerCase()), canonical);
  assertEquals(normalizeFingerprint("SHA256:" + canonical), canonical);
  assertEquals(normalizeFingerprint("ab".repeat(31)), undefined);
  assertEquals(normalizeFingerprint("zz".repeat(32)), undefined);
});

Deno.test("pemToDer() and derToPem() round-trip", async () => {
  const { certPem } = await createSelfSigned([]);
  const der = pemToDer(certPem);
  assertEquals(pemToDer(derToPem(der)), der);
  assertEquals(new X509Certificate(derToPem(der)).fingerprint256, await fingerprintOfDer(der));
});

/** Loads (or makes) the certificate in `dir` in a fresh process; says what got loaded. */
async function loadInFreshProcess(dir: string): Promise<{ created: boolean; x509: boolean }> {
  const module = new URL("../../lib/tls/certificate.ts", import.meta.url).href;
  const code = `
    const { loadOrCreateCertificate } = await import(${JSON.stringify(module)});
    const cert = await loadOrCreateCertificate(${JSON.stringify(dir)}, { names: [] });
    // reflect-metadata, loaded only together with @peculiar/x509, defines Reflect.getMetadata
    console.log(JSON.stringify({ created: cert.created, x509: "getMetadata" in Reflect }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", fileURLToPath(new URL("../../deno.json", import.meta.url)), code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text.split("\n").pop()!);
}

Deno.test("a start with an existing certificate does not load the X.509 library; the first start does", async () => {
  await withDir(async (dir) => {
    assertEquals(await loadInFreshProcess(dir), { created: true, x509: true });
    assertEquals(await loadInFreshProcess(dir), { created: false, x509: false });
  });
});
