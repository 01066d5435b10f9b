#!/usr/bin/env node
// A ModelGate webhook receiver: verifies each delivery's Standard Webhooks signature and
// timestamp, answers 2xx at once, and handles the event afterwards. Node's own modules only.
//
//   WEBHOOK_SECRET=$(modelgate webhooks secret) PORT=3000 node webhook-receiver.mjs
//
// Submit with ?webhook=https://<where this is reachable>/ and every verified event is printed
// as one JSON line on stdout. Answer fast: ModelGate waits 10 s, then counts the attempt as
// failed and retries it (with the same webhook-id, which is why ids are remembered below).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
if (!secret.startsWith('whsec_')) {
  console.error('set WEBHOOK_SECRET to the output of: modelgate webhooks secret');
  process.exit(2);
}
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;
/** webhook-ids already handled: a retry of a delivery we processed is answered, not redone. */
const seen = new Set();

/** True when one of the `v1,<base64>` signatures is the HMAC of "id.timestamp.body". */
function verify(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt) || Math.abs(Date.now() / 1000 - sentAt) > TOLERANCE_SECONDS) return 'timestamp outside the 5-minute tolerance';
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const signature of signatures.split(' ')) {
    const [version, encoded] = signature.split(',');
    if (version !== 'v1' || !encoded) continue;
    const given = Buffer.from(encoded, 'base64');
    // Constant time: how much of a guess matched must not show in how long the answer takes.
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  }
  return 'no valid signature';
}

function handle(id, event) {
  // Your work goes here (after the answer was sent). The body is the same JSON as
  // GET /v1/requests/{id}/result for `completed`, or the status route's for `start`/`progress`.
  console.log(JSON.stringify({ webhook_id: id, request_id: event.request_id, status: event.status, output: event.output, error: event.error }));
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const problem = verify(req.headers, body);
    if (problem) {
      // 4xx: ModelGate does not retry it, which is right for a message that will never verify.
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`${problem}\n`);
      return;
    }
    const id = req.headers['webhook-id'];
    res.writeHead(204).end();
    if (seen.has(id)) return;
    seen.add(id);
    let event;
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    setImmediate(() => handle(id, event));
  });
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.error(`webhook receiver listening on http://${address}:${port}/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
