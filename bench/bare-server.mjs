/**
 * The baseline every benchmark is set beside: a bare Fastify server (no logger, no hooks, no
 * auth, no database) with GET /bare → {"ok":true} and POST /echo → the JSON body it was sent.
 * Run as its own process on plain Node (no TypeScript loader), as ModelGate runs from dist/, so
 * client and server CPU are separate and the memory baseline is Node plus Fastify only.
 *   PORT=9000 node bench/bare-server.mjs
 */
import Fastify from 'fastify';

const app = Fastify();
app.get('/bare', async () => ({ ok: true }));
app.post('/echo', async (request) => request.body);

const port = Number(process.env.PORT ?? 9000);
await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`bare fastify listening on 127.0.0.1:${port}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
