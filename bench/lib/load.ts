/** autocannon, run in this process, summarised to the few figures the reports need. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Total requests: the run ends only when every one has its answer (nothing in flight is dropped). */
  amount?: number;
  timeoutSeconds?: number;
  /** The server's pid: its CPU time over the run is read from /proc to give CPU per request. */
  serverPid?: number;
}

export interface LoadSummary {
  /** Answers per second over the whole run (every status). */
  rps: number;
  /** Latency in milliseconds. */
  p50: number;
  p99: number;
  mean: number;
  max: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  statusCodes: Record<string, number>;
  /** Server CPU (user + system, all threads) per answer, in microseconds, when serverPid was given. */
  serverCpuUsPerReq?: number;
  /** Share of one core the server used over the run (1 = one core flat out). */
  serverCores?: number;
}

/** CPU time (user + system, all threads) a process has used, in seconds (Linux /proc; 100 ticks/s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function load(options: LoadOptions): Promise<LoadSummary> {
  const cpuBefore = options.serverPid !== undefined ? cpuSeconds(options.serverPid) : 0;
  // autocannon notices the end of a run only at its next 1 s sample tick, so its own `duration`
  // is rounded up to whole seconds (in fixed-amount mode, a 1.2 s run reads as 2 s): the run is
  // timed here from its start to its last answer instead.
  let lastAnswerAt = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      connections: options.connections,
      ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 5 }),
      timeout: options.timeoutSeconds ?? 30,
    }, (error, done) => (error ? reject(error as Error) : resolve(done)));
    instance.on('response', () => (lastAnswerAt = Date.now()));
  });
  const seconds = lastAnswerAt > 0 ? Math.max(0.001, (lastAnswerAt - result.start.getTime()) / 1000) : result.duration;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const cpu = options.serverPid !== undefined ? cpuSeconds(options.serverPid) - cpuBefore : undefined;
  return {
    ...(cpu !== undefined ? { serverCpuUsPerReq: (cpu / responses) * 1e6, serverCores: cpu / seconds } : {}),
    rps: responses / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    max: result.latency.max,
    responses,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    statusCodes,
  };
}

/** A load run whose only purpose is to warm the JIT and the connection paths. */
export async function warmUp(options: Omit<LoadOptions, 'duration' | 'amount'>, seconds = 2): Promise<void> {
  await load({ ...options, duration: seconds });
}

export function describeLoad(name: string, s: LoadSummary): string {
  const codes = Object.entries(s.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ');
  return `${name.padEnd(28)} ${fmt(s.rps, 0).padStart(8)} req/s   p50 ${fmt(s.p50, 2).padStart(7)} ms   p99 ${fmt(s.p99, 2).padStart(7)} ms   (${s.responses} answers in ${fmt(s.seconds, 1)} s; ${codes}${s.errors ? `; ${s.errors} errors` : ''})` +
    (s.serverCpuUsPerReq !== undefined ? `   server CPU ${fmt(s.serverCpuUsPerReq, 0)} µs/answer, ${fmt(s.serverCores!, 2)} cores` : '');
}

export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/**
 * Runs each target in turn, `rounds` times (a b a b …), so that the background load of a shared
 * machine falls on all of them alike; each target gets a warm-up first. Figures are summed over
 * the rounds (rates = answers / seconds; CPU = server CPU / answers), and latency percentiles are
 * the median of the rounds' values. `amountFor` turns a target's warm-up rate into a fixed
 * request count per round when every request must be answered (see LoadOptions.amount).
 */
export async function interleaved<K extends string>(
  targets: Record<K, LoadOptions>,
  options: { rounds: number; seconds: number; warmUpSeconds?: number; fixedAmount?: boolean; beforeRound?: (name: K) => Promise<void> | void; afterRound?: (name: K, round: LoadSummary) => Promise<void> | void },
): Promise<Record<K, LoadSummary>> {
  const names = Object.keys(targets) as K[];
  const warmRate = {} as Record<K, number>;
  for (const name of names) {
    const warm = await load({ ...targets[name], duration: options.warmUpSeconds ?? 2 });
    warmRate[name] = warm.rps;
  }
  const rounds = {} as Record<K, LoadSummary[]>;
  for (let round = 0; round < options.rounds; round++) {
    for (const name of names) {
      await options.beforeRound?.(name);
      const run = options.fixedAmount
        ? await load({ ...targets[name], amount: Math.max(500, Math.round(warmRate[name] * options.seconds)) })
        : await load({ ...targets[name], duration: options.seconds });
      await options.afterRound?.(name, run);
      (rounds[name] ??= []).push(run);
    }
  }
  const result = {} as Record<K, LoadSummary>;
  for (const name of names) result[name] = combine(rounds[name]);
  return result;
}

/**
 * Runs each target at the same time as `baseline`, `rounds` times (target a + baseline, target b
 * + baseline, …), after a warm-up of each pair. Both servers of a pair share the machine's state
 * of that moment, so the ratio of their CPU per answer does not carry the drift between rounds
 * that sequential runs pick up on a shared machine: there the same build measured 0.92× to
 * 1.79× of the bare route from one round to the next, paired 1.26× to 1.56× (docs/benchmarks.md).
 * Per target: both sides summed over its rounds, and each round's ratio (target ÷ baseline CPU).
 */
export async function pairedWithBaseline<K extends string>(
  targets: Record<K, LoadOptions>,
  baseline: LoadOptions,
  options: { rounds: number; seconds: number; warmUpSeconds?: number },
): Promise<Record<K, { target: LoadSummary; baseline: LoadSummary; cpuRatios: number[] }>> {
  const names = Object.keys(targets) as K[];
  const pair = (name: K, seconds: number) => Promise.all([load({ ...targets[name], duration: seconds }), load({ ...baseline, duration: seconds })]);
  for (const name of names) await pair(name, options.warmUpSeconds ?? 2);
  const runs = {} as Record<K, { target: LoadSummary[]; baseline: LoadSummary[] }>;
  for (let round = 0; round < options.rounds; round++) {
    for (const name of names) {
      const [target, base] = await pair(name, options.seconds);
      const into = (runs[name] ??= { target: [], baseline: [] });
      into.target.push(target);
      into.baseline.push(base);
    }
  }
  const result = {} as Record<K, { target: LoadSummary; baseline: LoadSummary; cpuRatios: number[] }>;
  for (const name of names) {
    const { target, baseline: base } = runs[name];
    result[name] = { target: combine(target), baseline: combine(base), cpuRatios: target.map((t, i) => t.serverCpuUsPerReq! / base[i]!.serverCpuUsPerReq!) };
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function combine(runs: LoadSummary[]): LoadSummary {
  const sum = (pick: (s: LoadSummary) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const responses = sum((r) => r.responses);
  const seconds = sum((r) => r.seconds);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const withCpu = runs.every((r) => r.serverCpuUsPerReq !== undefined);
  const cpuSeconds = sum((r) => ((r.serverCpuUsPerReq ?? 0) * r.responses) / 1e6);
  return {
    rps: responses / seconds,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    mean: sum((r) => r.mean * r.responses) / responses,
    max: Math.max(...runs.map((r) => r.max)),
    responses,
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    seconds,
    statusCodes,
    ...(withCpu ? { serverCpuUsPerReq: (cpuSeconds / responses) * 1e6, serverCores: cpuSeconds / seconds } : {}),
  };
}
