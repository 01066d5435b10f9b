/**
 * SIGHUP re-reads MODELGATE_TLS_CERT and MODELGATE_TLS_KEY and swaps them into the listener:
 * a renewed certificate is served from the next handshake on, without draining running jobs
 * the way a restart does. Files that fail the start-up checks are not swapped in; the server
 * keeps the certificate it has and logs why.
 */
import type { Server } from 'node:https';
import type { Logger } from 'pino';
import { loadTlsMaterial } from './material.ts';
import type { TlsFiles } from './settings.ts';
import { tlsWarnings } from './warnings.ts';

export function reloadTlsOnSighup(server: Server, files: TlsFiles, publicUrl: string, log: Logger): void {
  const reload = () => {
    let material;
    try {
      material = loadTlsMaterial(files);
    } catch (error) {
      log.error({ err: { message: (error as Error).message } }, 'TLS certificate not reloaded; still serving the previous one');
      return;
    }
    server.setSecureContext({ cert: material.cert, key: material.key });
    log.info({ subject: material.leaf.subject, valid_to: material.leaf.validTo, fingerprint256: material.leaf.fingerprint256 }, 'TLS certificate reloaded');
    for (const warning of tlsWarnings(material.leaf, publicUrl)) log.warn(warning);
  };
  process.on('SIGHUP', reload);
}
