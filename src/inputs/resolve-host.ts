/**
 * Step 2 of the fetch pipeline: resolve every A and AAAA record, refuse if ANY is not public,
 * and return the one address the connection will be pinned to. The resolver is injected so
 * tests never ask the real DNS (and can play rebinding games); its shape is that of
 * `dns.promises.lookup(host, {all: true, verbatim: true})`.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { classifyAddress, describeVerdict } from './address-policy.ts';
import { InputError } from './errors.ts';
import type { CheckedUrl } from './url-policy.ts';

export interface LookupAnswer {
  address: string;
  family: number;
}

export type Resolver = (hostname: string, options: { all: true; verbatim: true }) => Promise<readonly LookupAnswer[]>;

/** getaddrinfo through libuv, as Node itself connects; looked up late so it can be replaced. */
export const systemResolver: Resolver = (hostname, options) => dnsPromises.lookup(hostname, options);

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

function rejectOnAbort(signal: AbortSignal | undefined): Promise<never> | undefined {
  if (!signal) return undefined;
  return new Promise<never>((_, reject) => {
    const fail = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/**
 * Resolves `checked.host` (or takes its literal address) and checks every answer. An
 * allow-listed host is resolved but not checked. Throws InputError 'dns' or 'blocked_address';
 * an abort of `signal` rejects with the signal's reason, for the caller to classify.
 */
export async function resolvePinned(checked: CheckedUrl, resolver: Resolver, signal?: AbortSignal): Promise<PinnedAddress> {
  if (checked.literalAddress !== undefined) {
    const verdict = classifyAddress(checked.literalAddress);
    if (!verdict.allowed && !checked.allowListed) {
      throw new InputError('blocked_address', `the input URL points to ${describeVerdict(verdict)}`);
    }
    return { address: checked.literalAddress, family: isIP(checked.literalAddress) === 6 ? 6 : 4 };
  }
  let answers: readonly LookupAnswer[];
  try {
    const lookup = resolver(checked.host, { all: true, verbatim: true });
    const aborted = rejectOnAbort(signal);
    answers = await (aborted ? Promise.race([lookup, aborted]) : lookup);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new InputError('dns', 'the input URL host could not be resolved', { cause: error });
  }
  if (answers.length === 0) throw new InputError('dns', 'the input URL host could not be resolved');

  const verdicts = answers.map((answer) => classifyAddress(answer.address));
  const refused = verdicts.find((v) => !v.allowed);
  if (refused && !checked.allowListed) {
    throw new InputError('blocked_address', `the input URL host resolves to ${describeVerdict(refused)}`, {
      details: { range: refused.range, answers: answers.length },
    });
  }
  // Every answer passed (or the host is exempt); the first one, in resolver order, is pinned.
  const first = answers[0]!;
  const address = unbracketed(first.address);
  const family = isIP(address);
  if (family === 0) throw new InputError('dns', 'the input URL host resolved to an invalid address');
  return { address, family: family === 6 ? 6 : 4 };
}

function unbracketed(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}
