// Preloaded into a server under test (node --import): measures its event loop's delay with
// perf_hooks, and on SIGUSR2 appends "<max delay ms> <CPU ms>" since the last signal to
// $BENCH_LOOP_DELAY_FILE, then starts over. The bench reads the file between requests. CPU time
// is the process's own work, a figure that other processes on the same cores do not inflate.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let cpu = process.cpuUsage();
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpu);
    appendFileSync(file, `${histogram.max / 1e6} ${(used.user + used.system) / 1e3}\n`);
    histogram.reset();
    cpu = process.cpuUsage();
  });
}
