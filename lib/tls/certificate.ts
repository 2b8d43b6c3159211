/**
 * The server's TLS certificate: loaded from PEM files the operator gives (e.g. from a real
 * CA), or, with none given, created once in the data folder and reused on every start so
 * that clients which pinned its fingerprint keep trusting it. Both the IRC TLS port and the
 * web port (HTTPS/WSS) use what {@link loadOrCreateCertificate} returns.
 *
 * Creation uses `@peculiar/x509` on WebCrypto (no hand-written ASN.1); checking a given
 * pair uses `node:crypto`'s X509Certificate, which reads every usual key format.
 *
 * @module
 */

// @peculiar/x509 decorates its ASN.1 classes; the Reflect metadata polyfill must come first
// Only making a certificate needs these, and they are heavy to load: they are imported
// when one is made (first start with TLS), not on every start.
import type * as X509 from "@peculiar/x509";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { join } from "node:path";
import { fingerprintOfDer } from "./fingerprint.ts";
import { makePrivateDir } from "../platform/private_files.ts";

export { fingerprintOfDer, formatFingerprint, normalizeFingerprint } from "./fingerprint.ts";

/**
 * A certificate and its private key, ready for `Deno.listenTls` or `Deno.serve`.
 *
 * @example
 * ```ts ignore
 * import { loadOrCreateCertificate } from "./certificate.ts";
 * const tls = await loadOrCreateCertificate("./chat-data");
 * Deno.listenTls({ port: 6697, cert: tls.certPem, key: tls.keyPem });
 * console.log(tls.fingerprint); // "3F:A0:…" (SHA-256 of the DER certificate)
 * ```
 */
export interface TlsCertificate {
  /** The certificate (chain), PEM. */
  certPem: string;
  /** The private key, PEM. */
  keyPem: string;
  /** SHA-256 of the (first) certificate's DER bytes: upper-case hex pairs joined by ':'. */
  fingerprint: string;
  /** Whether the certificate signed itself (no CA vouches for it; clients must pin it). */
  selfSigned: boolean;
  /** Whether it was created just now (first start). */
  created: boolean;
  /** Where the certificate file is. */
  certPath: string;
  /** Where the key file is. */
  keyPath: string;
}

/**
 * Options of {@link loadOrCreateCertificate}.
 *
 * @example
 * ```ts ignore
 * const opts: CertificateOptions = { certFile: "/etc/chat/cert.pem", keyFile: "/etc/chat/key.pem" };
 * ```
 */
export interface CertificateOptions {
  /** Use this PEM certificate instead of the data folder's own (needs keyFile). */
  certFile?: string;
  /** The PEM private key for certFile. */
  keyFile?: string;
  /**
   * Names and addresses to put in a new certificate besides localhost, 127.0.0.1 and ::1
   * (default: this machine's host name and every non-loopback address it has).
   */
  names?: string[];
}

/**
 * A certificate problem to report as one line at start (bad file, mismatched pair...).
 *
 * @example
 * ```ts
 * import { CertificateError } from "./certificate.ts";
 * new CertificateError("the key does not belong to the certificate").message;
 * ```
 */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertificateError";
  }
}

/** The folder inside the data folder holding the server's own certificate. */
const TLS_DIR = "tls";
const VALID_DAYS = 3650; // pinned, not CA-checked: a short life would only break the pins

/**
 * The DER bytes of the first certificate in a PEM text.
 *
 * @example
 * ```ts ignore
 * const der = pemToDer(await Deno.readTextFile("cert.pem"));
 * ```
 */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new CertificateError("no PEM certificate found");
  const bin = atob(m[1].replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * Wraps DER certificate bytes as PEM.
 *
 * @example
 * ```ts
 * import { derToPem } from "./certificate.ts";
 * derToPem(new Uint8Array([1, 2, 3])).startsWith("-----BEGIN CERTIFICATE-----"); // true
 * ```
 */
export function derToPem(der: Uint8Array): string {
  let bin = "";
  for (const b of der) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/**
 * Checks a PEM certificate and key: both parse, the key belongs to the certificate, the
 * certificate is within its validity. Returns the fingerprint and whether it is
 * self-signed; throws {@link CertificateError} with one readable sentence otherwise.
 *
 * @example
 * ```ts ignore
 * const { fingerprint, selfSigned } = checkPair(certPem, keyPem, "cert.pem", "key.pem");
 * ```
 */
export async function checkPair(
  certPem: string,
  keyPem: string,
  certName = "the certificate",
  keyName = "the key",
): Promise<{ fingerprint: string; selfSigned: boolean }> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new CertificateError(`${certName} is not a PEM certificate`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateError(`${keyName} is not a PEM private key (or it is encrypted)`);
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(key);
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new CertificateError(`${keyName} does not belong to ${certName}`);
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) {
    throw new CertificateError(`${certName} expired on ${cert.validTo}`);
  }
  if (Date.parse(cert.validFrom) > now + 86400_000) {
    throw new CertificateError(`${certName} is not valid before ${cert.validFrom}`);
  }
  let selfSigned = false;
  try {
    // not checkIssued(): OpenSSL's check also wants keyCertSign, which a leaf rightly lacks
    selfSigned = cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    selfSigned = false;
  }
  return { fingerprint: await fingerprintOfDer(pemToDer(certPem)), selfSigned };
}

/**
 * This machine's names and addresses for a new certificate: the host name and every
 * non-loopback interface address (so LAN clients reaching it by IP match too).
 *
 * @example
 * ```ts ignore
 * localNames(); // ["pc.local", "192.168.1.20", "fe80::1"]
 * ```
 */
export function localNames(): string[] {
  const out: string[] = [];
  try {
    out.push(Deno.hostname());
  } catch {
    // no --allow-sys: the certificate still covers localhost and the loopback addresses
  }
  try {
    for (const i of Deno.networkInterfaces()) {
      // link-local IPv6 carries a zone (%eth0) that has no place in a certificate
      if (!i.address.includes("%")) out.push(i.address);
    }
  } catch {
    // as above
  }
  return out;
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/**
 * Creates a self-signed server certificate: ECDSA P-256 with SHA-256, CA:false, for TLS
 * servers, naming localhost, 127.0.0.1, ::1 and `names`.
 *
 * @example
 * ```ts ignore
 * const { certPem, keyPem } = await createSelfSigned(["pc.local", "192.168.1.20"]);
 * ```
 */
export async function createSelfSigned(
  names: string[],
  commonName = "deno-chat",
): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  x509.cryptoProvider.set(crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const all = [...new Set(["localhost", "127.0.0.1", "::1", ...names])].filter((n) =>
    n !== "" && /^[A-Za-z0-9.\-:_]+$/.test(n)
  );
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f; // a positive serial number
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: [...serial].map((b) => b.toString(16).padStart(2, "0")).join(""),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, "")}`,
    notBefore: new Date(now - 3600_000), // clocks on a LAN disagree a little
    notAfter: new Date(now + VALID_DAYS * 86400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        all.map((n): X509.JsonGeneralName => ({ type: isIp(n) ? "ip" : "dns", value: n })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certPem: cert.toString("pem") + "\n",
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
  };
}

/** Loads the X.509 library, with the metadata polyfill its decorators need first. */
async function loadX509(): Promise<typeof X509> {
  await import("reflect-metadata");
  return await import("@peculiar/x509");
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new CertificateError(`cannot read the TLS ${what} '${path}': ${why}`);
  }
}

/**
 * The server's certificate. With `certFile`/`keyFile`, reads and checks that pair. Else
 * uses `<dataDir>/tls/cert.pem` and `key.pem`, creating them (self-signed, see
 * {@link createSelfSigned}) the first time; later starts reuse them unchanged, because
 * clients pin the fingerprint and a new certificate would look like an impostor.
 * Throws {@link CertificateError} with one sentence for a bad, unreadable or mismatched
 * pair.
 *
 * @example
 * ```ts ignore
 * import { loadOrCreateCertificate } from "./certificate.ts";
 * const tls = await loadOrCreateCertificate("./chat-data");
 * Deno.serve({ port: 8443, cert: tls.certPem, key: tls.keyPem }, () => new Response("hi"));
 * ```
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  opts: CertificateOptions = {},
): Promise<TlsCertificate> {
  if (opts.certFile !== undefined || opts.keyFile !== undefined) {
    if (opts.certFile === undefined || opts.keyFile === undefined) {
      throw new CertificateError("--tls-cert and --tls-key go together: give both or neither");
    }
    const certPem = await readPem(opts.certFile, "certificate");
    const keyPem = await readPem(opts.keyFile, "key");
    const checked = await checkPair(certPem, keyPem, `'${opts.certFile}'`, `'${opts.keyFile}'`);
    return {
      certPem,
      keyPem,
      ...checked,
      created: false,
      certPath: opts.certFile,
      keyPath: opts.keyFile,
    };
  }
  const dir = join(dataDir, TLS_DIR);
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const read = async (path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw new CertificateError(`cannot read '${path}': ${(err as Error).message}`);
    }
  };
  const oldCert = await read(certPath);
  const oldKey = await read(keyPath);
  if (oldCert !== undefined && oldKey === undefined) {
    // clients may have pinned this certificate: never replace it behind their back
    throw new CertificateError(
      `'${keyPath}' is missing; put it back, or remove ${dir} to create a new certificate`,
    );
  }
  const existing = oldCert !== undefined && oldKey !== undefined
    ? { certPem: oldCert, keyPem: oldKey }
    : undefined;
  if (existing) {
    // a damaged file must not be silently replaced: that would change the fingerprint
    const checked = await checkPair(
      existing.certPem,
      existing.keyPem,
      `'${certPath}'`,
      `'${keyPath}'`,
    ).catch((err) => {
      throw new CertificateError(
        `${(err as Error).message}; remove ${dir} to create a new certificate ` +
          "(clients that pinned the old one will refuse the new one until they pin it again)",
      );
    });
    return { ...existing, ...checked, created: false, certPath, keyPath };
  }
  const made = await createSelfSigned(opts.names ?? localNames());
  try {
    await makePrivateDir(dir);
    // the key first and private, so a crash between the two writes leaves no usable half
    await Deno.writeTextFile(keyPath + ".tmp", made.keyPem, { mode: 0o600 });
    await Deno.writeTextFile(certPath + ".tmp", made.certPem);
    await Deno.rename(keyPath + ".tmp", keyPath);
    await Deno.rename(certPath + ".tmp", certPath);
  } catch (err) {
    throw new CertificateError(`cannot write the certificate to ${dir}: ${(err as Error).message}`);
  }
  const checked = await checkPair(made.certPem, made.keyPem);
  return { ...made, ...checked, created: true, certPath, keyPath };
}
