/**
 * What every benchmark returns and how it is printed. Figures are reported, never judged as
 * pass/fail on time: a target row says whether this run met it, and the process exits 0 either way.
 */
import { execFileSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { fmt } from './load.ts';

export interface Row {
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /**
   * How many times the baseline's cost this figure is: baseline/value for rates (req/s),
   * value/baseline for times. 1.00 = as cheap as the bare route.
   */
  cost?: number;
  target?: string;
  met?: boolean;
}

export interface BenchResult {
  name: string;
  rows: Row[];
  notes: string[];
}

export const rateRow = (metric: string, value: number, baseline?: { name: string; value: number }, extra: Partial<Row> = {}): Row => ({
  metric,
  value,
  unit: 'req/s',
  ...(baseline ? { baseline, cost: baseline.value / value } : {}),
  ...extra,
});

export const timeRow = (metric: string, value: number, baseline?: { name: string; value: number }, extra: Partial<Row> = {}): Row => ({
  metric,
  value,
  unit: 'ms',
  ...(baseline ? { baseline, cost: value / baseline.value } : {}),
  ...extra,
});

export const cpuRow = (metric: string, value: number, baseline?: { name: string; value: number }, extra: Partial<Row> = {}): Row => ({
  metric,
  value,
  unit: 'µs',
  ...(baseline ? { baseline, cost: value / baseline.value } : {}),
  ...extra,
});

function num(value: number, unit: string): string {
  if (unit === 'ms') return fmt(value, value < 10 ? 2 : 1);
  if (unit === 'MB') return fmt(value, 1);
  if (unit === '× bare') return fmt(value, 2);
  return fmt(value, 0);
}

export function markdownTable(results: BenchResult[]): string {
  const lines = ['| benchmark | figure | value | baseline (same run) | cost × baseline | target | met |', '| --- | --- | ---: | --- | ---: | --- | --- |'];
  for (const result of results) {
    for (const row of result.rows) {
      const baseline = row.baseline ? `${row.baseline.name}: ${num(row.baseline.value, row.unit)} ${row.unit}` : '';
      const cost = row.cost !== undefined ? `${fmt(row.cost, 2)}×` : '';
      const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
      lines.push(`| ${result.name} | ${row.metric} | ${num(row.value, row.unit)} ${row.unit} | ${baseline} | ${cost} | ${row.target ?? ''} | ${met} |`);
    }
  }
  return lines.join('\n');
}

export function printResult(result: BenchResult): void {
  process.stdout.write(`\n${markdownTable([result])}\n`);
  for (const note of result.notes) process.stdout.write(`  note: ${note}\n`);
}

export function machineDescription(): string {
  let fs = '?';
  try {
    fs = execFileSync('df', ['-T', tmpdir()], { encoding: 'utf8' }).trim().split('\n').at(-1)?.split(/\s+/)[1] ?? '?';
  } catch {
    // df missing: leave it unknown
  }
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // use os.cpus()
  }
  return `nproc ${nproc} (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 1024 ** 3)} GB RAM, node ${process.version}, ` +
    `${process.platform} ${process.arch}, data dir on ${tmpdir()} (${fs}); client (autocannon) and server are separate processes sharing these cores`;
}

/** Runs a benchmark when its file is the entry point (`node --import tsx bench/<file>.ts`). */
export async function runIfMain(importMetaUrl: string, bench: () => Promise<BenchResult>): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  if (!process.argv[1] || importMetaUrl !== pathToFileURL(process.argv[1]).href) return;
  process.stdout.write(`${machineDescription()}\n`);
  printResult(await bench());
}
