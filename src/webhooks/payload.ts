/**
 * What a delivery sends: for `completed`, exactly the JSON of GET /v1/requests/{id}/result
 * (with the delivery's own `webhook` state in it); for `start` and `progress`, the JSON of the
 * status route at the moment of sending. Built from the job as it is when the attempt runs, so
 * a retry of `completed` sends the same result (a finished job no longer changes).
 */
import type { BlobStore } from '../blobs/blob-store.ts';
import { resultView, statusView } from '../jobs/job-views.ts';
import type { JobRecord, WebhookDelivery } from '../store/store.ts';

export interface PayloadContext {
  blobs: BlobStore;
  publicUrl: string;
  /** MODELGATE_OUTPUT_RETENTION_HOURS, so the result shows the same `expires_at` as the route. */
  retentionMs: number | undefined;
}

export function deliveryBody(delivery: WebhookDelivery, job: JobRecord, { blobs, publicUrl, retentionMs }: PayloadContext): string {
  if (delivery.event === 'completed') {
    return JSON.stringify(resultView(job, blobs, { retentionMs, webhook: { state: 'delivering', attempts: delivery.attempts } }));
  }
  return JSON.stringify(statusView(job, publicUrl));
}
