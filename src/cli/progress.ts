/**
 * What `modelgate run` shows on stderr while it waits: on a terminal one line redrawn in place (a
 * bar with the progress, or the queue position, and the time since submit); on a pipe or file a
 * plain line only when something changed, so logs stay readable. stdout is left to the results.
 */
import type { StatusView } from '../client/index.ts';

const BAR_WIDTH = 24;

export function describeStatus(status: StatusView): string {
  if (status.status === 'in_queue') return `in queue, position ${status.queue_position ?? 0}${status.queue_position === 0 ? ' (next)' : ''}`;
  if (status.status === 'in_progress') return status.progress === undefined ? 'in progress' : `in progress ${Math.round(status.progress * 100)}%`;
  return status.status;
}

/** `[#########...............]` for a fraction from 0 to 1. */
export function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

export interface StatusPrinter {
  update(status: StatusView): void;
  /** Clears the terminal line (nothing to do on a pipe). */
  done(): void;
}

export function statusPrinter(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): StatusPrinter {
  const started = now();
  const tty = stream.isTTY === true;
  let last = '';
  return {
    update(status) {
      const text = describeStatus(status);
      const seconds = `${((now() - started) / 1000).toFixed(1)}s`;
      if (tty) {
        const fraction = status.status === 'in_progress' ? (status.progress ?? 0) : status.status === 'completed' ? 1 : 0;
        stream.write(`\r\x1b[2K${bar(fraction)} ${text}  ${seconds}`);
      } else if (text !== last) {
        stream.write(`${seconds} ${text}\n`);
      }
      last = text;
    },
    done() {
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
