/**
 * An injected DNS for the fetcher tests: a table of names to answers, where an entry may be a
 * list of answer sets served in turn (the last one repeats), which is how rebinding is played.
 * Unknown names fail like NXDOMAIN. Every question is recorded. It never touches the network.
 */
import { isIP } from 'node:net';
import type { LookupAnswer, Resolver } from '../../src/inputs/resolve-host.ts';

export type StubAnswers = string[] | string[][];

export interface StubResolver {
  resolve: Resolver;
  questions: string[];
  count(name: string): number;
}

export function stubResolver(table: Record<string, StubAnswers>): StubResolver {
  const questions: string[] = [];
  const served = new Map<string, number>();
  const resolve: Resolver = async (hostname) => {
    questions.push(hostname);
    const entry = table[hostname.toLowerCase().replace(/\.$/, '')];
    if (!entry) throw Object.assign(new Error(`stub: no such name ${hostname}`), { code: 'ENOTFOUND' });
    const sets = Array.isArray(entry[0]) ? (entry as string[][]) : [entry as string[]];
    const turn = served.get(hostname) ?? 0;
    served.set(hostname, turn + 1);
    const answers = sets[Math.min(turn, sets.length - 1)]!;
    return answers.map((address): LookupAnswer => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  };
  return { resolve, questions, count: (name) => questions.filter((q) => q === name).length };
}
