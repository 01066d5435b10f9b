// Entry of a reframe worker thread. The sources are TypeScript and a worker thread does not
// inherit the main thread's loader hooks, so it registers tsx itself before loading them.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
