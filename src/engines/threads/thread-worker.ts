/**
 * One engine thread: holds the open sessions (a task module and its state) and answers each call
 * in the order it came. Work is synchronous CPU, so a thread runs one call at a time; sessions of
 * different jobs interleave call by call.
 */
import { parentPort } from 'node:worker_threads';
import type { FromThread, ThreadTaskModule, ToThread } from './thread-protocol.ts';

const modules = new Map<string, Promise<ThreadTaskModule>>();
const sessions = new Map<number, Promise<{ task: ThreadTaskModule; state: unknown }>>();

function load(module: string): Promise<ThreadTaskModule> {
  let loaded = modules.get(module);
  if (!loaded) modules.set(module, (loaded = import(module) as Promise<ThreadTaskModule>));
  return loaded;
}

/** A result's ArrayBuffer goes back by transfer; shared memory is never transferred. */
function transferables(result: unknown): ArrayBuffer[] {
  return ArrayBuffer.isView(result) && result.buffer instanceof ArrayBuffer ? [result.buffer] : [];
}

const port = parentPort;
port?.on('message', (message: ToThread) => {
  if (message.type === 'open') {
    const opened = load(message.module).then((task) => ({ task, state: task.open(message.payload) }));
    opened.catch(() => {}); // reported to the session's first call
    sessions.set(message.session, opened);
    return;
  }
  if (message.type === 'close') {
    sessions.delete(message.session);
    return;
  }
  const { id } = message;
  const session = sessions.get(message.session);
  if (!session) {
    port.postMessage({ id, error: `no open session ${message.session}` } satisfies FromThread);
    return;
  }
  session.then(
    ({ task, state }) => {
      const result = task.call(state, message.payload);
      port.postMessage({ id, result } satisfies FromThread, transferables(result));
    },
  ).catch((error: unknown) => port.postMessage({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromThread));
});
