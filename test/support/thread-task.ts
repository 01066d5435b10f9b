/**
 * A task module for the engine-thread tests: the session's state is a multiplier; a call
 * multiplies, blocks its thread for a while (`{ wait: ms }`), throws (`{ fail: true }`) or ends the
 * thread (`{ exit: true }`), so the pool's failure handling can be seen.
 */
export function open(payload: { factor: number }): { factor: number } {
  return { factor: payload.factor };
}

export function call(state: { factor: number }, payload: { value?: number; wait?: number; fail?: boolean; exit?: boolean }): Float64Array | null {
  if (payload.exit) process.exit(3);
  if (payload.fail) throw new Error('asked to fail');
  if (payload.wait) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, payload.wait);
  return payload.value === undefined ? null : Float64Array.of(payload.value * state.factor);
}
