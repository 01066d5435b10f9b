/**
 * The process's Prometheus metrics (prom-client), in a registry of its own per Context, never
 * prom-client's global one: tests and embedders build several contexts in one process.
 *
 * Counters and histograms count what this process did (its HTTP requests, its workers'
 * attempts, its sweeper's finds), so Prometheus must scrape every serve and worker process and
 * sum them. The job gauges are read from the store at scrape time and are the same from every
 * process: aggregate them with max(), not sum().
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.ts';

/** From a cache-hit status poll to a slow upload. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** From a CPU task to a long video on a GPU. */
const RUN_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];
/** From an idle pool's few milliseconds to a backlog of an hour. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
/** From a receiver that answers at once to one that was down for most of a day. */
const WEBHOOK_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 21600, 86400];

export class Metrics {
  readonly registry = new Registry();
  readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly jobsFinished: Counter<'model' | 'outcome'>;
  readonly runSeconds: Histogram<'model' | 'engine'>;
  readonly waitSeconds: Histogram<'model' | 'engine'>;
  readonly attemptsLost: Counter<'outcome'>;
  readonly engineErrors: Counter<'engine' | 'type'>;
  readonly webhookDeliveries: Counter<'event' | 'outcome'>;
  readonly webhookLatency: Histogram<'event'>;

  constructor(store: Pick<Store, 'loadByModel'>) {
    const registers = [this.registry];
    this.httpSeconds = new Histogram({
      name: 'modelgate_http_request_duration_seconds',
      help: 'API requests by method, route template (not the raw URL) and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'modelgate_jobs',
      help: 'Jobs queued or running now, per model, read from the store at scrape time (the same from every process).',
      labelNames: ['model', 'state'],
      registers,
      async collect() {
        const load = await store.loadByModel();
        this.reset();
        for (const { modelId, queued, running } of load) {
          this.set({ model: modelId, state: 'queued' }, queued);
          this.set({ model: modelId, state: 'running' }, running);
        }
      },
    });
    this.jobsFinished = new Counter({
      name: 'modelgate_jobs_finished_total',
      help: "Jobs this process's workers settled, per model and outcome (succeeded, failed).",
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.runSeconds = new Histogram({
      name: 'modelgate_job_run_seconds',
      help: 'Time from claim to settle of each attempt run by this process, per model and engine.',
      labelNames: ['model', 'engine'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.waitSeconds = new Histogram({
      name: 'modelgate_job_wait_seconds',
      help: "Time from submit to a job's first claim, per model and engine.",
      labelNames: ['model', 'engine'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.attemptsLost = new Counter({
      name: 'modelgate_attempts_lost_total',
      help: "Attempts whose worker stopped renewing its lease, found by this process's sweeper: requeued, or failed once the retry budget was spent.",
      labelNames: ['outcome'],
      registers,
    });
    this.engineErrors = new Counter({
      name: 'modelgate_engine_errors_total',
      help: "Attempts of this process's workers that ended in an engine error, per engine and error type (retryable ones included).",
      labelNames: ['engine', 'type'],
      registers,
    });
    // Webhook errors are the attempts whose outcome is not `delivered`.
    this.webhookDeliveries = new Counter({
      name: 'modelgate_webhook_deliveries_total',
      help: "Webhook delivery attempts made by this process, per event and outcome: delivered (2xx), retrying (5xx, 408, 429, timeout or connection error; tried again later), failed (given up: another 4xx, a redirect, a refused address, or the retry horizon passed), dropped (a start or progress event for a job that has since finished).",
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.webhookLatency = new Histogram({
      name: 'modelgate_webhook_delivery_seconds',
      help: 'Time from the event (a job finishing, starting, progressing) to its webhook answering 2xx, retries included, per event.',
      labelNames: ['event'],
      buckets: WEBHOOK_BUCKETS,
      registers,
    });
  }
}
