/**
 * Direct TLS settings: MODELGATE_TLS_CERT and MODELGATE_TLS_KEY name two PEM files. Only the
 * paths are configuration; the files are read and checked by `serve` (tls/material.ts), so
 * commands that never listen (keys, run, worker) do not need them to be readable.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../config-error.ts';

export interface TlsFiles {
  /** The server's certificate, followed by any intermediates clients need (a PEM chain). */
  certFile: string;
  /** The certificate's private key, unencrypted PEM. */
  keyFile: string;
}

type Env = Record<string, string | undefined>;

/** Both (TLS on) or neither (plain HTTP); one alone is almost always a typo or a half-done change. */
export function tlsFilesSetting(env: Env): TlsFiles | undefined {
  const cert = (env.MODELGATE_TLS_CERT ?? '').trim();
  const key = (env.MODELGATE_TLS_KEY ?? '').trim();
  if (cert === '' && key === '') return undefined;
  if (cert === '' || key === '') {
    const given = cert === '' ? 'MODELGATE_TLS_KEY' : 'MODELGATE_TLS_CERT';
    throw new ConfigError('MODELGATE_TLS_CERT and MODELGATE_TLS_KEY', `must be set together (both for TLS, neither for plain HTTP); only ${given} is set`);
  }
  return { certFile: resolve(cert), keyFile: resolve(key) };
}
