/** What one claimed attempt adds to the process's metrics: its wait, its run time, how it ended. */
import type { Context } from '../context.ts';
import type { ClaimedJob } from '../store/store.ts';
import type { AttemptOutcome } from './run-attempt.ts';

export class AttemptMetrics {
  private readonly claimedAt = Date.now();
  private readonly labels: { model: string; engine: string };

  constructor(
    private readonly ctx: Pick<Context, 'metrics' | 'engines'>,
    job: ClaimedJob,
  ) {
    this.labels = { model: job.modelId, engine: ctx.engines.route(job.modelId).engineName };
    // The wait a client sees is submit to first claim; a retry's wait would count it twice.
    if (job.attempt === 1) ctx.metrics.waitSeconds.observe(this.labels, Math.max(0, this.claimedAt - job.createdAt) / 1000);
  }

  settled(outcome: AttemptOutcome): void {
    const { metrics } = this.ctx;
    metrics.runSeconds.observe(this.labels, (Date.now() - this.claimedAt) / 1000);
    if (outcome.state === 'succeeded' || outcome.state === 'failed') metrics.jobsFinished.inc({ model: this.labels.model, outcome: outcome.state });
    if (outcome.engineError !== undefined) metrics.engineErrors.inc({ engine: this.labels.engine, type: outcome.engineError });
  }
}
