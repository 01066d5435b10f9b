/**
 * The connector's own guarantees, below the URL and DNS checks: it dials the pinned address
 * whatever hostname undici hands it, and re-classifies that address itself, so a literal IP
 * that somehow skipped the earlier checks still never gets a socket.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { buildConnector } from 'undici';
import { InputError } from '../../src/inputs/errors.ts';
import { pinnedConnector } from '../../src/inputs/pinned-connector.ts';
import { startCanary, type Canary } from '../support/canary.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../support/loopback-guard.ts';

let guard: LoopbackGuard;
let canary: Canary;

function dial(connector: buildConnector.connector, options: buildConnector.Options): Promise<Socket> {
  return new Promise((resolve, reject) => connector(options, (error, socket) => (error ? reject(error) : resolve(socket!))));
}

before(async () => {
  guard = await installLoopbackGuard();
  canary = await startCanary((_req, res) => res.end());
  guard.permit(canary.host, canary.port);
});

after(async () => {
  await canary?.close();
  await guard?.restore();
});

describe('pinnedConnector', () => {
  it('refuses a non-public pinned address without opening a socket', async () => {
    for (const address of ['127.0.0.1', '169.254.169.254', '::1', '10.0.0.1']) {
      const connector = await pinnedConnector({ pinned: { address, family: address.includes(':') ? 6 : 4 }, servername: undefined, allowListed: false, connectTimeoutMs: 1000 });
      await assert.rejects(dial(connector, { hostname: 'public.example', protocol: 'http:', port: String(canary.port) }), (e: unknown) => e instanceof InputError && e.reason === 'blocked_address');
    }
    assert.equal(guard.attempts.length, 0);
    assert.equal(canary.connections, 0);
  });

  it('dials the pinned address, not the hostname it is given', async () => {
    const connector = await pinnedConnector({ pinned: { address: '127.0.0.1', family: 4 }, servername: undefined, allowListed: true, connectTimeoutMs: 1000 });
    const socket = await dial(connector, { hostname: 'rebound.example', protocol: 'http:', port: String(canary.port) });
    assert.equal(socket.remoteAddress, '127.0.0.1');
    socket.destroy();
    assert.deepEqual(guard.attempts, [{ host: '127.0.0.1', port: canary.port, rerouted: false }]);
    assert.deepEqual(guard.dnsQueries, [], 'the hostname was never looked up');
  });
});
