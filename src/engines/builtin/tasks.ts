/** Which catalog model each builtin task serves. Adding a task is one line here. */
import type { BuiltinTask } from './builtin-engine.ts';

export const BUILTIN_TASKS: Record<string, BuiltinTask> = {};
