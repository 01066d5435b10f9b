/**
 * Every benchmark in turn (`npm run bench`), then one table of all figures, each beside the
 * baseline measured in the same run. Benchmarks report, they do not fail: the exit code is 0
 * whatever the figures (non-zero only if a benchmark could not run at all).
 *   node --import tsx bench/run-all.ts [status|submit|start|memory ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { memoryBench } from './memory.ts';
import { type BenchResult, machineDescription, markdownTable } from './lib/report.ts';
import { ROOT } from './lib/servers.ts';
import { statusPollBench } from './status-poll.ts';
import { submitToStartBench } from './submit-to-start.ts';
import { submitBench } from './submit-throughput.ts';

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  status: statusPollBench,
  submit: submitBench,
  start: submitToStartBench,
  memory: memoryBench,
};

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(BENCHES);
const unknown = chosen.filter((name) => !BENCHES[name]);
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(2);
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const started = Date.now();
const machine = machineDescription();
const loadBefore = load();
process.stdout.write(`${machine}\nload average before: ${loadBefore}\n`);
const results: BenchResult[] = [];
for (const name of chosen) {
  process.stdout.write(`\n== ${name}\n`);
  results.push(await BENCHES[name]!());
}
const loadAfter = load();
const seconds = Math.round((Date.now() - started) / 1000);

process.stdout.write(`\n== all figures (${seconds} s; load average before ${loadBefore}, after ${loadAfter})\n\n${markdownTable(results)}\n\n`);
for (const result of results) for (const note of result.notes) process.stdout.write(`- ${result.name}: ${note}\n`);
const missed = results.flatMap((r) => r.rows.filter((row) => row.met === false).map((row) => `${r.name}: ${row.metric} (target ${row.target})`));
process.stdout.write(missed.length > 0 ? `\ntargets missed in this run: ${missed.join('; ')}\n` : '\nall targets met in this run\n');

const out = join(ROOT, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ at: new Date().toISOString(), machine, loadBefore, loadAfter, seconds, results }, null, 2)}\n`);
process.stdout.write(`(also written to bench/results/latest.json)\n`);
