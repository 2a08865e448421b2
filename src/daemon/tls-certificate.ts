import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface TlsIdentity {
  key: string;
  cert: string;
}

/**
 * The server certificate for `sslmode=require`: made once per state directory (self-signed, EC P-256, for
 * localhost, 127.0.0.1 and ::1, valid ten years) and kept in `tls/server.pem`, readable by the user only.
 * Clients that use TLS without verifying (require, prefer) connect; verify-ca/verify-full would need this
 * certificate as their root.
 */
export async function ensureTlsIdentity(stateRoot: string): Promise<TlsIdentity> {
  const dir = path.join(stateRoot, 'tls');
  // Key and certificate in one file, so one rename publishes a matching pair even when two daemons race.
  const file = path.join(dir, 'server.pem');
  const existing = await readFile(file, 'utf8').then(parse, () => null);
  if (existing) return existing;
  const { generate } = await import('selfsigned');
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${pems.private.trim()}\n${pems.cert.trim()}\n`, { mode: 0o600 });
  await rename(temp, file);
  return parse(await readFile(file, 'utf8'))!;
}

function parse(pem: string): TlsIdentity | null {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
  return key && cert ? { key: `${key}\n`, cert: `${cert}\n` } : null;
}
