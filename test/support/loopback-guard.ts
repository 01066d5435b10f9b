/**
 * A safety net for tests that exercise the URL fetcher: while installed, every outgoing TCP
 * connection in this process is recorded, and any whose destination is not an explicitly
 * permitted loopback canary is rewritten to a loopback "sinkhole" listener instead. So even a
 * broken SSRF check cannot send a packet past 127.0.0.0/8 from a test; it shows up as a
 * sinkhole connection (and a recorded attempt) that the test then fails on. DNS is fenced the
 * same way: any real lookup of a name other than `localhost` is recorded and answered ENOTFOUND.
 */
import dns from 'node:dns';
import net, { isIP } from 'node:net';

export interface ConnectAttempt {
  host: string;
  port: number;
  rerouted: boolean;
}

export interface LoopbackGuard {
  readonly attempts: ConnectAttempt[];
  readonly dnsQueries: string[];
  readonly sinkholeConnections: () => number;
  /** Lets connections to this exact loopback host:port through (a canary). */
  permit(host: string, port: number): void;
  restore(): Promise<void>;
}

type NormalizeArgs = (args: unknown[]) => unknown[];
type ConnectFn = (this: net.Socket, ...args: unknown[]) => net.Socket;
type LookupFn = (...args: unknown[]) => unknown;

export async function installLoopbackGuard(): Promise<LoopbackGuard> {
  let sinkholeCount = 0;
  const sinkhole = net.createServer((socket) => socket.destroy());
  sinkhole.on('connection', () => sinkholeCount++);
  await new Promise<void>((resolve) => sinkhole.listen(0, '127.0.0.1', resolve));
  sinkhole.unref(); // a failing test must not hang its process
  const sinkPort = (sinkhole.address() as net.AddressInfo).port;

  const permitted = new Set<string>([`127.0.0.1:${sinkPort}`]);
  const attempts: ConnectAttempt[] = [];
  const dnsQueries: string[] = [];
  const normalizeArgs = (net as unknown as { _normalizeArgs: NormalizeArgs })._normalizeArgs;
  const originalConnect = net.Socket.prototype.connect as unknown as ConnectFn;

  const patchedConnect: ConnectFn = function (this: net.Socket, ...args: unknown[]) {
    const normalized = Array.isArray(args[0]) ? (args[0] as unknown[]) : normalizeArgs(args);
    const options = normalized[0] as { host?: string; port?: number | string; path?: string };
    if (options.path === undefined || options.path === null) {
      const host = options.host ?? 'localhost';
      const port = Number(options.port);
      const ok = permitted.has(`${host}:${port}`);
      if (!(ok && port === sinkPort)) attempts.push({ host, port, rerouted: !ok });
      if (!ok) {
        options.host = '127.0.0.1';
        options.port = sinkPort;
      }
    }
    return originalConnect.call(this, normalized);
  };
  net.Socket.prototype.connect = patchedConnect as unknown as typeof net.Socket.prototype.connect;

  const originalLookup = dns.lookup as unknown as LookupFn;
  const originalPromiseLookup = dns.promises.lookup as unknown as LookupFn;
  const refuse = (hostname: string): NodeJS.ErrnoException => {
    dnsQueries.push(hostname);
    return Object.assign(new Error(`loopback guard: real DNS refused for ${hostname}`), { code: 'ENOTFOUND' });
  };
  (dns as unknown as { lookup: LookupFn }).lookup = (...args: unknown[]) => {
    const hostname = String(args[0]);
    // Literals are answered locally (net.Server.listen asks even for '127.0.0.1').
    if (hostname === 'localhost' || isIP(hostname) !== 0) return originalLookup(...args);
    const callback = args.at(-1) as (error: Error) => void;
    process.nextTick(() => callback(refuse(hostname)));
    return undefined;
  };
  (dns.promises as unknown as { lookup: LookupFn }).lookup = (...args: unknown[]) => {
    const hostname = String(args[0]);
    if (hostname === 'localhost' || isIP(hostname) !== 0) return originalPromiseLookup(...args);
    return Promise.reject(refuse(hostname));
  };

  return {
    attempts,
    dnsQueries,
    sinkholeConnections: () => sinkholeCount,
    permit(host, port) {
      if (host !== 'localhost' && !host.startsWith('127.') && host !== '::1') throw new Error(`guard permits loopback only, not ${host}`);
      permitted.add(`${host}:${port}`);
    },
    async restore() {
      net.Socket.prototype.connect = originalConnect as unknown as typeof net.Socket.prototype.connect;
      (dns as unknown as { lookup: LookupFn }).lookup = originalLookup;
      (dns.promises as unknown as { lookup: LookupFn }).lookup = originalPromiseLookup;
      await new Promise<void>((resolve) => sinkhole.close(() => resolve()));
    },
  };
}
