// Entry of an engine thread: plain JavaScript, so it starts the same way from src/ and from dist/.
// From dist/ (the build copies this file there) the thread's module is compiled JavaScript beside
// it. From src/ it is TypeScript: a worker does not inherit a loader registered through tsx's API
// (bin/modelgate.mjs does that), so register it here when the TypeScript cannot be imported as it
// is (a failed import is cached, hence the query on the second try). Under `node --import tsx`
// the flag is inherited and the first import works.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./thread-worker.js', import.meta.url))) {
  await import('./thread-worker.js');
} else {
  try {
    await import('./thread-worker.ts');
  } catch (error) {
    if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { register } = await import('tsx/esm/api');
    register();
    await import('./thread-worker.ts?with-tsx');
  }
}
