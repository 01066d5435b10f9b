/**
 * The delivery loop, run wherever workers run (`serve` with workers, `modelgate worker`):
 * `concurrency` slots that each claim a due delivery, send it, record the outcome, and claim the
 * next. A claim leases the delivery (a process that dies mid-attempt loses it when the lease
 * runs out, and another claims it again) and counts an attempt, which fences the outcome.
 *
 * Idle slots sleep until the store says a delivery may be due (PostgreSQL's NOTIFY from the
 * trigger that made it, where capabilities.crossProcessWakeups says the store can) or a retry
 * this process scheduled falls due; one of them, the poller, also looks every poll interval. A
 * slot whose claim found a delivery wakes the next sleeper, since more may be due, so a burst
 * fans out to every slot while an idle process makes one claim per interval, not one per slot.
 */
import type { Context } from '../context.ts';
import { TERMINAL_STATES, type WebhookDelivery, type WebhookOutcome } from '../store/store.ts';
import { ThrottledLog } from '../throttled-log.ts';
import { deliveryBody } from './payload.ts';
import { outcomeOf } from './retry-policy.ts';
import { webhookSecret } from './secret.ts';
import { DELIVERY_TIMEOUT_MS, sendWebhook, type AttemptResult } from './send.ts';
import { signWebhook } from './signing.ts';

/** Longer than an attempt can take (DNS, connect, 10 s for the answer), so a live attempt keeps its delivery. */
export const DELIVERY_LEASE_MS = 6 * DELIVERY_TIMEOUT_MS;
/** As the worker pool: with cross-process wake-ups, polling is only a safety net. */
const NOTIFIED_POLL_FACTOR = 5;

type DispatcherContext = Pick<Context, 'store' | 'config' | 'log' | 'metrics' | 'blobs' | 'resolver'>;

export class WebhookDispatcher {
  private readonly shutdown = new AbortController();
  private readonly slots: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private key: Promise<Buffer> | undefined;
  private readonly idlePollMs: number;
  private readonly faults: ThrottledLog;
  private readonly log;

  constructor(private readonly ctx: DispatcherContext) {
    this.log = ctx.log.child({ component: 'webhooks' });
    this.faults = new ThrottledLog(this.log);
    this.idlePollMs = ctx.config.pollIntervalMs * (ctx.store.capabilities.crossProcessWakeups ? NOTIFIED_POLL_FACTOR : 1);
  }

  start(): void {
    this.unsubscribe = this.ctx.store.onWebhookDue(() => this.wakeOne());
    for (let slot = 0; slot < this.ctx.config.webhooks.concurrency; slot++) this.slots.push(this.runSlot(slot === 0));
  }

  /** Stops claiming, aborts attempts in flight (they are recorded as due again at once) and waits for the slots. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    this.unsubscribe?.();
    for (const timer of this.timers) clearTimeout(timer);
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.slots);
  }

  private wakeOne(): void {
    const [first] = this.sleepers;
    first?.();
  }

  /** Until woken, or `ms` passes when given. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Wakes a slot when a retry this process scheduled falls due. */
  private wakeAt(at: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wakeOne();
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.timers.add(timer);
  }

  private signingKey(): Promise<Buffer> {
    this.key ??= webhookSecret(this.ctx.config.webhooks, this.ctx.store).then(
      (secret) => secret.key,
      (error: unknown) => {
        this.key = undefined;
        throw error;
      },
    );
    return this.key;
  }

  private async runSlot(poller: boolean): Promise<void> {
    const idle = poller ? this.idlePollMs : undefined;
    while (!this.shutdown.signal.aborted) {
      let delivery: WebhookDelivery | undefined;
      try {
        delivery = await this.ctx.store.claimWebhookDelivery(DELIVERY_LEASE_MS, Date.now());
      } catch (error) {
        this.faults.write('error', 'claim', { err: error }, 'claiming a webhook delivery failed; trying again after the poll interval');
        await this.sleep(this.idlePollMs);
        continue;
      }
      if (!delivery) {
        await this.sleep(idle);
        continue;
      }
      // More may be due: the next sleeper looks too.
      this.wakeOne();
      try {
        await this.deliver(delivery);
      } catch (error) {
        // The store failed while reading the job or recording the outcome: the lease runs out
        // and the delivery is claimed again.
        this.faults.write('error', 'deliver', { err: error, request_id: delivery.jobId }, 'a webhook delivery could not be recorded; it will be tried again when its lease runs out');
      }
    }
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const { store, config, metrics } = this.ctx;
    const job = await store.getJob(delivery.jobId, delivery.ownerKeyId);
    if (!job) return this.record(delivery, { state: 'failed', now: Date.now(), status: null, error: 'the request no longer exists' }, 'failed');
    // Start and progress are best-effort: once the job has finished, `completed` says it all.
    const intermediate = delivery.event !== 'completed';
    if (intermediate && TERMINAL_STATES.has(job.state)) {
      return this.record(delivery, { state: 'failed', now: Date.now(), status: null, error: 'the request finished before this event was delivered' }, 'dropped');
    }
    const body = deliveryBody(delivery, job, { blobs: this.ctx.blobs, publicUrl: config.publicUrl, retentionMs: config.outputRetentionMs });
    const id = `msg_${delivery.id}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(await this.signingKey(), id, timestamp, body),
    };
    const result = await sendWebhook({
      url: delivery.url,
      body,
      headers,
      policy: { allowHttp: config.inputs.allowHttp, allowHosts: config.inputs.allowHosts, maxUrlLength: config.inputs.limits.maxUrlLength },
      resolver: this.ctx.resolver,
      signal: this.shutdown.signal,
    });
    const now = Date.now();
    if (result.kind === 'unreachable' && result.reason === 'aborted') {
      // Shutdown, not the receiver's doing: due again at once, for whichever process is next.
      return this.record(delivery, { state: 'delivering', now, nextAt: now, status: null, error: result.message }, 'retrying');
    }
    // A start or progress retry that finds the job finished is dropped (above), so neither is
    // retried past the terminal event.
    const outcome = outcomeOf(result, delivery, config.webhooks, now);
    if (outcome.state === 'delivered') metrics.webhookLatency.observe({ event: delivery.event }, Math.max(0, now - delivery.createdAt) / 1000);
    await this.record(delivery, outcome, outcome.state === 'delivering' ? 'retrying' : outcome.state, result);
  }

  private async record(delivery: WebhookDelivery, outcome: WebhookOutcome, label: string, result?: AttemptResult): Promise<void> {
    const took = await this.ctx.store.settleWebhookDelivery(delivery.id, delivery.attempts, outcome);
    this.ctx.metrics.webhookDeliveries.inc({ event: delivery.event, outcome: label });
    if (outcome.state === 'delivering' && took) this.wakeAt(outcome.nextAt);
    if (outcome.state === 'delivered') return;
    const where = safeUrl(delivery.url);
    const fields = { request_id: delivery.jobId, webhook_id: `msg_${delivery.id}`, event: delivery.event, attempts: delivery.attempts, url: where, status: result?.kind === 'answered' ? result.status : undefined, reason: 'error' in outcome ? outcome.error : undefined };
    if (outcome.state === 'failed' && label === 'failed') this.log.warn(fields, 'webhook delivery failed; not retried');
    else this.log.info(fields, label === 'dropped' ? 'webhook event dropped' : 'webhook delivery will be retried');
  }
}

/** The URL as logs show it: no query (it may carry the receiver's token). */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(unparseable)';
  }
}
