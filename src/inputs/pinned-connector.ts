/**
 * Step 3 of the fetch pipeline: a connector that dials only the address resolvePinned checked.
 * undici hands a connector the URL's hostname; we ignore it and dial the pinned address, so the
 * name is never resolved a second time (a rebinding DNS server gets one question, and its
 * second answer is never used). TLS keeps SNI and certificate checks on the original hostname.
 * The pinned address is classified again here, on the last line before the socket: a literal IP
 * never passes through a lookup hook, so this is where a missed check would otherwise slip by.
 */
import type { ConnectionOptions } from 'node:tls';
import type { buildConnector } from 'undici';
import { classifyAddress, describeVerdict } from './address-policy.ts';
import { InputError } from './errors.ts';
import type { PinnedAddress } from './resolve-host.ts';

export interface PinnedConnectorOptions {
  pinned: PinnedAddress;
  /** The URL's hostname for SNI and certificate checks; undefined for IP-literal URLs. */
  servername: string | undefined;
  /** An allow-listed host skips the re-check (the operator said so). */
  allowListed: boolean;
  connectTimeoutMs: number;
  /** Extra trust roots (a private CA; tests' self-signed canaries). System roots otherwise. */
  ca?: ConnectionOptions['ca'];
}

export async function pinnedConnector(options: PinnedConnectorOptions): Promise<buildConnector.connector> {
  // undici is loaded on the first fetch, not at start: it is several MB of every process's idle RSS.
  const { buildConnector } = await import('undici');
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    // One request per connector: a session cache would only keep state we never reuse.
    maxCachedSessions: 0,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  return (connectOptions, callback) => {
    if (!options.allowListed) {
      const verdict = classifyAddress(options.pinned.address);
      if (!verdict.allowed) {
        callback(new InputError('blocked_address', `the input URL points to ${describeVerdict(verdict)}`), null);
        return;
      }
    }
    base(
      {
        ...connectOptions,
        hostname: options.pinned.address,
        ...(options.servername === undefined ? {} : { servername: options.servername }),
      },
      callback,
    );
  };
}
