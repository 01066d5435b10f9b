// s3rver in a process of its own, for tests that measure the test process's memory (an
// in-process server's buffers would count as the client's). Usage: node s3rver-child.mjs <dir> <bucket>;
// prints {"port": N} once listening, and stops when its stdin closes (the parent went away).
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  server.httpServer?.closeAllConnections();
  await server.close();
  process.exit(0);
});
