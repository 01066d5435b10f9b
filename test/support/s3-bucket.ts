/**
 * An S3-compatible bucket for tests: s3rver (a devDependency) in the test process, on a free
 * loopback port, storing into a temp folder, with one bucket. `env` is what a `modelgate`
 * process needs to use it (MODELGATE_S3_URL plus the AWS SDK's standard variables), so child
 * processes on different data folders share it the way machines share a real bucket.
 *
 *   const bucket = await startS3Bucket();
 *   after(() => bucket.close());
 *   procs.install({ ...bucket.env });
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';

export interface S3Bucket {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** The key prefix ModelGate writes under (the path of MODELGATE_S3_URL). */
  prefix: string;
  /** s3rver's folder (removed by close()). */
  directory: string;
  env: Record<string, string>;
  /** Keys of the objects stored so far (read from s3rver's folder), for assertions. */
  keys(): string[];
  close(): Promise<void>;
}

export async function startS3Bucket(bucket = 'modelgate', prefix = 'mg'): Promise<S3Bucket> {
  const directory = mkdtempSync(join(tmpdir(), 'modelgate-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    prefix,
    directory,
    env: {
      MODELGATE_S3_URL: `s3://${bucket}/${prefix}`,
      MODELGATE_S3_FORCE_PATH_STYLE: '1',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      // s3rver's fixed credentials.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    keys() {
      // s3rver keeps each object as <directory>/<bucket>/<key>._S3rver_object (plus metadata files).
      const root = join(directory, bucket);
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return walk(path);
        return entry.name.endsWith('._S3rver_object') ? [relative(root, path).slice(0, -'._S3rver_object'.length)] : [];
      });
      return walk(root).sort();
    },
    async close() {
      // Keep-alive sockets from the SDK or fetch would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
