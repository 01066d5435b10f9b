/**
 * A reframe worker thread: holds the current level's shared buffers and runs the band tasks it
 * is sent, answering each with its id (and an error message if it threw).
 */
import { parentPort } from 'node:worker_threads';
import { runBandTask } from './band-tasks.ts';
import type { BandTask } from './complete.ts';
import type { LevelBuffers } from './patchmatch.ts';

export type WorkerRequest = { id: number; level: LevelBuffers } | { id: number; task: BandTask };
export type WorkerReply = { id: number; error?: string };

let level: LevelBuffers | undefined;
const port = parentPort;
if (port) {
  port.on('message', (message: WorkerRequest) => {
    const reply: WorkerReply = { id: message.id };
    try {
      if ('level' in message) level = message.level;
      else if (!level) throw new Error('no level set');
      else runBandTask(level, message.task);
    } catch (error) {
      reply.error = error instanceof Error ? error.stack ?? error.message : String(error);
    }
    port.postMessage(reply);
  });
}
