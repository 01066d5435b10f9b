import { join } from 'node:path';
import { LocalBlobStore } from '../../src/blobs/local/local-blob-store.ts';
import { tempDir } from '../support/harness.ts';
import { blobStoreSuite } from './blob-store-suite.ts';

blobStoreSuite('local disk', async () => {
  const dir = tempDir('modelgate-local-blobs-');
  return {
    store: new LocalBlobStore(join(dir.path, 'blobs'), 'http://mg.test'),
    expectedUrl: (key) => `http://mg.test/v1/blobs/${key}`,
    // Streamed through a 16 KiB write buffer; the bound leaves room for what a loaded machine
    // leaves uncollected between samples (seen: up to 20 MiB), and a whole-file buffer still breaks it.
    largeBytes: 64 * 1024 * 1024,
    memoryBound: 32 * 1024 * 1024,
    partsUploaded: undefined,
    async close() {
      dir.remove();
    },
  };
});
