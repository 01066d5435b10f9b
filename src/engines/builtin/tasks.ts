/** Which catalog model each builtin task serves. Adding a task is one line here. */
import type { BuiltinTask } from './builtin-engine.ts';

export const BUILTIN_TASKS: Record<string, BuiltinTask> = {};
BUILTIN_TASKS['runwayml/runway-gen-3-alpha/turbo/image-to-video'] = (job, context) => import('./video/image-to-video.ts').then((task) => task.imageToVideo(job, context));
BUILTIN_TASKS['ideogram/ideogram-v3/reframe'] = (job, context) => import('./reframe/task.ts').then((task) => task.reframe(job, context));
