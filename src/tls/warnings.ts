/**
 * Settings that start fine but hand clients URLs they will refuse: said once at start (warn log
 * lines), since the server itself cannot notice; only a client's handshake fails.
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export function tlsWarnings(leaf: X509Certificate, publicUrl: string, now = new Date()): string[] {
  const warnings: string[] = [];
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol !== 'https:') {
    warnings.push(`MODELGATE_PUBLIC_URL is ${publicUrl}, but this server speaks only TLS: unless a proxy serves that URL, status, result and output URLs will not connect`);
  } else if (!(isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host))) {
    // A proxy with its own certificate may serve that name; then this is a false alarm.
    warnings.push(`the TLS certificate (subject ${leaf.subject.replace(/\n/g, ', ')}) does not name ${host}, the host of every URL handed out (${publicUrl}): clients will refuse them; set MODELGATE_PUBLIC_URL to a name on the certificate`);
  }
  if (new Date(leaf.validTo) < now) warnings.push(`the TLS certificate expired on ${leaf.validTo}: clients will refuse it; renew it and send SIGHUP`);
  else if (new Date(leaf.validFrom) > now) warnings.push(`the TLS certificate is not valid before ${leaf.validFrom}: clients will refuse it until then`);
  return warnings;
}
