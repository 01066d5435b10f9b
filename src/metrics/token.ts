/** The MODELGATE_METRICS_TOKEN check, shared by the API route and the worker's metrics listener. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Whether an Authorization header carries exactly `Bearer <token>`; compared in constant time. */
export function carriesMetricsToken(header: string | undefined, token: string): boolean {
  const given = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  // Digests have one length whatever was sent, so the compare never short-cuts on length.
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
