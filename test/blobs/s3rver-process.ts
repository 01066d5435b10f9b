/** Starts test/support/s3rver-child.mjs: an s3rver whose memory is not the test process's. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { tempDir } from '../support/harness.ts';

export async function startS3rverProcess(bucket: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dir = tempDir('modelgate-s3rver-');
  const child = spawn(process.execPath, [fileURLToPath(new URL('../support/s3rver-child.mjs', import.meta.url)), dir.path, bucket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
      dir.remove();
    },
  };
}
