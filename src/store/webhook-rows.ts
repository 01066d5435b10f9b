/** Webhook columns and rows, shared by both backends (migration 0011, migrations/webhooks.ts). */
import { WEBHOOK_EVENT_BITS } from './migrations/webhooks.ts';
import type { NewJob, WebhookDelivery, WebhookDeliveryState, WebhookEvent, WebhookOutcome, WebhookState } from './store.ts';

/** jobs.webhook_url and jobs.webhook_events of a new job: both NULL without a webhook. */
export function webhookColumns(job: NewJob): { webhook_url: string | null; webhook_events: number | null } {
  if (!job.webhook) return { webhook_url: null, webhook_events: null };
  const bits = job.webhook.events.reduce((sum, event) => sum | WEBHOOK_EVENT_BITS[event], 0);
  return { webhook_url: job.webhook.url, webhook_events: bits };
}

export interface DeliveryRow {
  id: number | string;
  job_id: string;
  owner_key_id: string;
  event: string;
  url: string;
  attempts: number;
  first_attempt_at: number | string;
  created_at: number | string;
}

export function rowToDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: String(row.id),
    jobId: row.job_id,
    ownerKeyId: row.owner_key_id,
    event: row.event as WebhookEvent,
    url: row.url,
    attempts: Number(row.attempts),
    firstAttemptAt: Number(row.first_attempt_at),
    createdAt: Number(row.created_at),
  };
}

export interface WebhookStateRow {
  webhook_events: number | null;
  state: string | null;
  attempts: number | null;
}

export function rowToWebhookState(row: WebhookStateRow | undefined): WebhookState | undefined {
  if (!row || row.webhook_events === null || (Number(row.webhook_events) & WEBHOOK_EVENT_BITS.completed) === 0) return undefined;
  // No row yet: the job has not finished, so nothing was sent.
  return { state: (row.state ?? 'pending') as WebhookDeliveryState, attempts: Number(row.attempts ?? 0) };
}

/** The columns an outcome writes; next_at only matters while the delivery is still due. */
export function outcomeColumns(outcome: WebhookOutcome): { state: string; next_at: number; last_status: number | null; last_error: string | null; finished_at: number | null } {
  switch (outcome.state) {
    case 'delivered':
      return { state: 'delivered', next_at: outcome.now, last_status: outcome.status, last_error: null, finished_at: outcome.now };
    case 'delivering':
      return { state: 'delivering', next_at: outcome.nextAt, last_status: outcome.status, last_error: outcome.error, finished_at: null };
    case 'failed':
      return { state: 'failed', next_at: outcome.now, last_status: outcome.status, last_error: outcome.error, finished_at: outcome.now };
  }
}
