/**
 * What the engine threads and the process say to each other (thread-pool.ts, thread-worker.ts).
 * A task module, loaded by a thread when a session opens, exports:
 *   open(payload) → the session's state (e.g. a job's working image, shared memory)
 *   call(state, payload) → a result; an ArrayBuffer-backed view in it is transferred back, not copied
 */
export interface ThreadTaskModule<State = unknown, Open = unknown, Call = unknown, Result = unknown> {
  open(payload: Open): State;
  call(state: State, payload: Call): Result;
}

export type ToThread =
  | { type: 'open'; session: number; module: string; payload: unknown }
  | { type: 'call'; session: number; id: number; payload: unknown }
  | { type: 'close'; session: number };

export type FromThread = { id: number; result: unknown } | { id: number; error: string };
