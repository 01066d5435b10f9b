/**
 * Reads and checks the TLS files before `serve` opens anything, so a wrong file is one line
 * naming the variable and the path (StartupError) instead of an OpenSSL stack on the first
 * connection, or worse a server that starts and fails every handshake.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { StartupError } from '../config-error.ts';
import type { TlsFiles } from './settings.ts';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** The first (leaf) certificate of the chain, for warnings and reload log lines. */
  leaf: X509Certificate;
}

const READ_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a folder, not a file',
};

function readSetting(path: string, variable: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(`cannot read the TLS ${what} ${path} (${variable}): ${code}, ${READ_REASONS[code] ?? (error as Error).message}`);
  }
}

function parseLeaf(cert: Buffer, path: string): X509Certificate {
  // X509Certificate also takes DER; the variable is documented as PEM, and Node's TLS wants PEM.
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) {
    throw new StartupError(`cannot use the TLS certificate ${path} (MODELGATE_TLS_CERT): not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`);
  }
  try {
    return new X509Certificate(cert);
  } catch (error) {
    throw new StartupError(`cannot use the TLS certificate ${path} (MODELGATE_TLS_CERT): not a valid PEM certificate (${(error as Error).message})`);
  }
}

/** PKCS#8 ("ENCRYPTED PRIVATE KEY") or traditional ("Proc-Type: 4,ENCRYPTED"): OpenSSL's own error for these says only "interrupted or cancelled". */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function parseKey(key: Buffer, path: string): KeyObject {
  if (ENCRYPTED_PEM.test(key.toString('latin1'))) {
    throw new StartupError(`cannot use the TLS key ${path} (MODELGATE_TLS_KEY): the key is encrypted; give an unencrypted one (openssl pkey -in KEY -out PLAIN_KEY)`);
  }
  try {
    return createPrivateKey(key);
  } catch (error) {
    throw new StartupError(`cannot use the TLS key ${path} (MODELGATE_TLS_KEY): not a PEM private key (${(error as Error).message})`);
  }
}

/** Throws a StartupError naming MODELGATE_TLS_CERT or MODELGATE_TLS_KEY and its path. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readSetting(files.certFile, 'MODELGATE_TLS_CERT', 'certificate');
  const key = readSetting(files.keyFile, 'MODELGATE_TLS_KEY', 'key');
  const leaf = parseLeaf(cert, files.certFile);
  if (!leaf.checkPrivateKey(parseKey(key, files.keyFile))) {
    throw new StartupError(`cannot use the TLS key ${files.keyFile} (MODELGATE_TLS_KEY): it is not the key of the certificate ${files.certFile} (MODELGATE_TLS_CERT)`);
  }
  // What the listener will do with them: catches the rest (a broken intermediate in the chain).
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new StartupError(`cannot use the TLS certificate ${files.certFile} (MODELGATE_TLS_CERT) with its key: ${(error as Error).message}`);
  }
  return { cert, key, leaf };
}
