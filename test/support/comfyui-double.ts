/**
 * A ComfyUI test double on 127.0.0.1 that follows the protocol recorded in
 * ../shared/research/selfhosted-anchors.md §3 (ComfyUI 0.3.64), over real HTTP and a real
 * websocket, so the production comfyui engine runs against it unchanged:
 *   POST /prompt   validation with ComfyUI's error shapes (no_prompt, invalid_prompt,
 *                  prompt_no_outputs, prompt_outputs_failed_validation + node_errors; a 200 with
 *                  node_errors when only some outputs are valid), our prompt_id kept, a heap queue
 *   websocket      /ws?clientId=: `status` with sid first; events routed to the prompt's
 *                  client_id, `execution_interrupted` and `status` broadcast; per prompt:
 *                  execution_start, execution_cached, per node progress_state / executing /
 *                  progress… / executed, then execution_success|error|interrupted, history
 *                  written (after `historyLagMs`), status, executing{node:null} (§3.9); a
 *                  reconnect with the same clientId replaces the old socket and gets
 *                  executing{node} without prompt_id while its prompt runs
 *   GET /history/{id}  {} while queued/running/unknown/deleted; the entry after completion
 *   GET /queue, POST /queue {delete|clear} (pending only, no trace), POST /interrupt (targeted:
 *   only the running prompt), POST /upload/image (multipart, "name (1).png" on a clash unless the
 *   bytes are identical or overwrite), GET /view (400/403/404 rules), GET /system_stats, GET /prompt;
 *   every route also under /api; the origin check (403 when Host and Origin differ on loopback).
 * Controls for tests: hold()/release() (pause running prompts after their first sampler step),
 * failNode(class) (an execution_error there), refuseWebsockets, dropWebsockets(), dropRequests
 * (a route whose connections are cut), and kill()
 * (every connection dropped mid-job and the port closed, as when the machine dies).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { INSTALLED_MODEL_FILES, NODE_CLASSES, type RunContext, type Value } from './comfyui-nodes.ts';

type Graph = Record<string, { class_type?: string; inputs?: Record<string, unknown> }>;

interface QueueItem {
  number: number;
  promptId: string;
  prompt: Graph;
  extraData: Record<string, unknown>;
  outputs: string[];
}

interface NodeError {
  errors: Array<{ type: string; message: string; details: string; extra_info: Record<string, unknown> }>;
  dependent_outputs: string[];
  class_type: string;
}

export interface ComfyDoubleOptions {
  /** Delay between sampler steps. */
  stepDelayMs?: number;
  /** Between the terminal event and the history write (§3.9's race). */
  historyLagMs?: number;
  /** The model files loaders accept; the rest fail validation with value_not_in_list. */
  modelFiles?: string[];
}

const isLink = (value: unknown): value is [string, number] => Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number';

export class ComfyUIDouble {
  url = '';
  port = 0;
  /** Every prompt accepted by POST /prompt, in order. */
  readonly accepted: Array<{ promptId: string; clientId: string | undefined; prompt: Graph }> = [];
  /** Every POST /interrupt: the prompt id asked for, and whether it was the running one. */
  readonly interrupts: Array<{ promptId: string | undefined; hit: boolean }> = [];
  readonly deleted: string[] = [];
  readonly requests: string[] = [];
  /** The raw path of every HTTP request and websocket upgrade, /api prefix included. */
  readonly paths: string[] = [];
  readonly uploads = new Map<string, Buffer>();
  /** Total websocket connections accepted so far. */
  websocketConnections = 0;
  refuseWebsockets = false;
  /** Requests ("POST /prompt") whose connection is cut without an answer, as by a crashing server. */
  readonly dropRequests = new Set<string>();

  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly connections = new Set<Socket>();
  private readonly files = new Map<string, Buffer>();
  private readonly history = new Map<string, unknown>();
  private pending: QueueItem[] = [];
  private current: { item: QueueItem; lastNode: string | null; interrupted: boolean } | undefined;
  private counter = 0;
  private fileCounter = 0;
  private killed = false;
  private holding = false;
  private releaseHold: (() => void) | undefined;
  private failing: { classType: string; message: string; exceptionType: string } | undefined;
  private working = false;
  private readonly stepDelayMs: number;
  private readonly historyLagMs: number;
  private readonly modelFiles: string[];

  private constructor(options: ComfyDoubleOptions) {
    this.stepDelayMs = options.stepDelayMs ?? 5;
    this.historyLagMs = options.historyLagMs ?? 30;
    this.modelFiles = options.modelFiles ?? INSTALLED_MODEL_FILES;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.json(res, 500, { error: String(error) });
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.connections.add(socket);
      socket.on('close', () => this.connections.delete(socket));
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
  }

  static async start(options: ComfyDoubleOptions = {}): Promise<ComfyUIDouble> {
    const double = new ComfyUIDouble(options);
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.port = (double.server.address() as AddressInfo).port;
    double.url = `http://127.0.0.1:${double.port}`;
    return double;
  }

  /** The prompt executing now, if any. */
  get running(): string | undefined {
    return this.current?.item.promptId;
  }

  get pendingIds(): string[] {
    return this.pending.map((item) => item.promptId);
  }

  get openWebsockets(): number {
    return this.sockets.size;
  }

  /** Running prompts pause after their first sampler step until release(). */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    this.releaseHold?.();
    this.releaseHold = undefined;
  }

  /** The next node of this class to execute raises an exception (execution_error). */
  failNode(classType: string, message: string, exceptionType = 'RuntimeError'): void {
    this.failing = { classType, message, exceptionType };
  }

  /** Closes every websocket now (the server stays up; clients may reconnect). */
  dropWebsockets(): void {
    for (const socket of this.sockets.values()) socket.terminate();
    this.sockets.clear();
  }

  /** The machine dies: every connection is cut mid-job, the port closes, all state is gone. */
  async kill(): Promise<void> {
    this.killed = true;
    this.releaseHold?.();
    for (const socket of this.wss.clients) socket.terminate();
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async close(): Promise<void> {
    if (this.killed) return;
    await this.kill();
  }

  // --- websocket (§3.8) ---

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://double');
    this.paths.push(url.pathname);
    if ((url.pathname !== '/ws' && url.pathname !== '/api/ws') || this.refuseWebsockets || this.killed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomUUID().replaceAll('-', '');
      this.sockets.get(sid)?.terminate();
      this.sockets.set(sid, ws);
      this.websocketConnections += 1;
      ws.on('close', () => {
        if (this.sockets.get(sid) === ws) this.sockets.delete(sid);
      });
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: this.queueRemaining() } }, sid } }));
      if (this.current && this.current.item.extraData.client_id === sid && this.current.lastNode) {
        ws.send(JSON.stringify({ type: 'executing', data: { node: this.current.lastNode } }));
      }
    });
  }

  /** `sid` undefined broadcasts (send_sync with sid=None). */
  private send(type: string, data: Record<string, unknown>, sid: string | undefined): void {
    if (this.killed) return;
    const text = JSON.stringify({ type, data });
    if (sid === undefined) {
      for (const socket of this.sockets.values()) socket.send(text);
    } else {
      this.sockets.get(sid)?.send(text);
    }
  }

  private queueRemaining(): number {
    return this.pending.length + (this.current ? 1 : 0);
  }

  private broadcastStatus(): void {
    this.send('status', { status: { exec_info: { queue_remaining: this.queueRemaining() } } }, undefined);
  }

  // --- HTTP ---

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const path = url.pathname.replace(/^\/api(?=\/)/, '');
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${path}`);
    this.paths.push(url.pathname);
    if (this.dropRequests.has(`${method} ${path}`)) {
      req.socket.destroy();
      return;
    }
    // ComfyUI's origin-only middleware (§3): a browser-style Origin that differs from Host is refused.
    const origin = req.headers.origin;
    if (origin && req.headers.host && new URL(origin).host !== req.headers.host) return this.json(res, 403, {});

    if (method === 'GET' && path === '/system_stats') {
      return this.json(res, 200, {
        system: { os: 'posix', ram_total: 64e9, ram_free: 32e9, comfyui_version: '0.3.64', python_version: '3.12', pytorch_version: '2.8.0', embedded_python: false, argv: ['main.py'] },
        devices: [{ name: 'cuda:0 Test GPU', type: 'cuda', index: 0, vram_total: 24e9, vram_free: 20e9, torch_vram_total: 0, torch_vram_free: 0 }],
      });
    }
    if (method === 'GET' && path === '/prompt') return this.json(res, 200, { exec_info: { queue_remaining: this.queueRemaining() } });
    if (method === 'POST' && path === '/prompt') return this.postPrompt(res, await this.body(req));
    if (method === 'GET' && path === '/queue') {
      const row = (item: QueueItem) => [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
      return this.json(res, 200, { queue_running: this.current ? [row(this.current.item)] : [], queue_pending: this.pending.map(row) });
    }
    if (method === 'POST' && path === '/queue') {
      const body = JSON.parse((await this.body(req)).toString() || '{}') as { delete?: string[]; clear?: boolean };
      if (body.clear) this.pending = [];
      for (const id of body.delete ?? []) {
        if (this.pending.some((item) => item.promptId === id)) this.deleted.push(id);
        this.pending = this.pending.filter((item) => item.promptId !== id);
      }
      this.broadcastStatus();
      res.writeHead(200).end();
      return;
    }
    if (method === 'GET' && path.startsWith('/history/')) {
      const id = decodeURIComponent(path.slice('/history/'.length));
      const entry = this.history.get(id);
      return this.json(res, 200, entry ? { [id]: entry } : {});
    }
    if (method === 'POST' && path === '/interrupt') {
      let promptId: string | undefined;
      try {
        promptId = (JSON.parse((await this.body(req)).toString()) as { prompt_id?: string }).prompt_id;
      } catch {
        promptId = undefined;
      }
      const hit = !!this.current && (promptId === undefined || this.current.item.promptId === promptId);
      this.interrupts.push({ promptId, hit });
      if (hit) {
        this.current!.interrupted = true;
        this.releaseHold?.();
      }
      res.writeHead(200).end();
      return;
    }
    if (method === 'POST' && path === '/upload/image') return this.upload(req, res);
    if (method === 'GET' && path === '/view') return this.view(url, res);
    return this.json(res, 404, { error: 'not found' });
  }

  private async upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = new Request('http://double/upload/image', {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const form = await request.formData();
    const file = form.get('image');
    if (!(file instanceof File) || !file.name) return this.json(res, 400, {});
    const subfolder = String(form.get('subfolder') ?? '');
    if (subfolder.includes('..')) return this.json(res, 400, {});
    const bytes = Buffer.from(await file.arrayBuffer());
    const overwrite = ['true', '1'].includes(String(form.get('overwrite') ?? ''));
    const key = (name: string) => (subfolder ? `${subfolder}/${name}` : name);
    let name = file.name;
    if (!overwrite) {
      // An existing name gets " (n)" unless it holds the same bytes (§3.4).
      const dot = name.lastIndexOf('.');
      for (let n = 1; this.uploads.has(key(name)) && !this.uploads.get(key(name))!.equals(bytes); n++) {
        name = dot > 0 ? `${file.name.slice(0, dot)} (${n})${file.name.slice(dot)}` : `${file.name} (${n})`;
      }
    }
    this.uploads.set(key(name), bytes);
    this.json(res, 200, { name, subfolder, type: String(form.get('type') ?? 'input') });
  }

  private view(url: URL, res: ServerResponse): void {
    const filename = url.searchParams.get('filename');
    if (!filename) return this.json(res, 404, {});
    if (filename.startsWith('/') || filename.includes('..')) return this.json(res, 400, {});
    const type = url.searchParams.get('type') ?? 'output';
    if (!['output', 'input', 'temp'].includes(type)) return this.json(res, 400, {});
    const subfolder = url.searchParams.get('subfolder') ?? '';
    if (subfolder.includes('..') || subfolder.startsWith('/')) return this.json(res, 403, {});
    const key = `${type}/${subfolder ? `${subfolder}/` : ''}${filename}`;
    const bytes = type === 'input' ? this.uploads.get(subfolder ? `${subfolder}/${filename}` : filename) : this.files.get(key);
    if (!bytes) return this.json(res, 404, {});
    const extension = filename.split('.').pop() ?? '';
    const contentType = { png: 'image/png', mp4: 'video/mp4', webp: 'image/webp' }[extension] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length, 'content-disposition': `filename="${filename}"` });
    res.end(bytes);
  }

  // --- /prompt validation (§3.1) ---

  private postPrompt(res: ServerResponse, raw: Buffer): void {
    let body: { prompt?: Graph; client_id?: string; prompt_id?: string; number?: number; front?: boolean; extra_data?: Record<string, unknown> };
    try {
      body = JSON.parse(raw.toString()) as typeof body;
    } catch {
      body = {};
    }
    const error = (type: string, message: string, details = '', nodeErrors: Record<string, NodeError> = {}) =>
      this.json(res, 400, { error: { type, message, details, extra_info: {} }, node_errors: nodeErrors });
    const prompt = body.prompt;
    if (!prompt || typeof prompt !== 'object') return error('no_prompt', 'No prompt provided', 'No prompt provided');
    for (const [id, node] of Object.entries(prompt)) {
      if (!node?.class_type) return error('invalid_prompt', `Cannot execute because a node is missing the class_type property.`, `Node ID '#${id}'`);
      if (!NODE_CLASSES[node.class_type]) return error('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
    }
    const outputs = Object.keys(prompt).filter((id) => NODE_CLASSES[prompt[id]!.class_type!]!.output);
    if (outputs.length === 0) return error('prompt_no_outputs', 'Prompt has no outputs', '');

    const nodeErrors: Record<string, NodeError> = {};
    const good: string[] = [];
    for (const output of outputs) {
      const failing = this.validateTree(prompt, output, new Set());
      if (failing.length === 0) {
        good.push(output);
        continue;
      }
      for (const { id, errors } of failing) {
        nodeErrors[id] ??= { errors, dependent_outputs: [], class_type: prompt[id]!.class_type! };
        nodeErrors[id].dependent_outputs.push(output);
      }
    }
    if (good.length === 0) {
      const details = Object.values(nodeErrors).flatMap((n) => n.errors.map((e) => `${e.message}: ${e.details}`)).join('\n');
      return error('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details, nodeErrors);
    }
    const promptId = body.prompt_id ?? randomUUID();
    const number = typeof body.number === 'number' ? body.number : body.front ? -this.counter++ : this.counter++;
    const extraData = { ...body.extra_data, ...(body.client_id ? { client_id: body.client_id } : {}) };
    this.pending.push({ number, promptId, prompt, extraData, outputs: good });
    this.accepted.push({ promptId, clientId: body.client_id, prompt });
    this.broadcastStatus();
    this.json(res, 200, { prompt_id: promptId, number, node_errors: nodeErrors });
    void this.work();
  }

  /** Errors of the node and everything it links to; only nodes with their own errors are listed. */
  private validateTree(prompt: Graph, id: string, seen: Set<string>): Array<{ id: string; errors: NodeError['errors'] }> {
    if (seen.has(id)) return [];
    seen.add(id);
    const node = prompt[id]!;
    const spec = NODE_CLASSES[node.class_type!]!;
    const inputs = node.inputs ?? {};
    const errors: NodeError['errors'] = [];
    const add = (type: string, message: string, details: string, input: string, received?: unknown) =>
      errors.push({ type, message, details, extra_info: { input_name: input, input_config: null, received_value: received } });
    const upstream: Array<{ id: string; errors: NodeError['errors'] }> = [];
    for (const name of spec.required) {
      const value = inputs[name];
      if (value === undefined) {
        add('required_input_missing', 'Required input is missing', name, name);
        continue;
      }
      if (isLink(value)) {
        if (!prompt[value[0]]) add('bad_linked_input', 'Bad linked input, must be a length-2 list of [string, int]', `${name}, ${JSON.stringify(value)}`, name, value);
        else upstream.push(...this.validateTree(prompt, value[0], seen));
        continue;
      }
      const range = spec.ints?.[name];
      if (range) {
        if (typeof value !== 'number' || !Number.isInteger(value)) add('invalid_input_type', 'Failed to convert an input value to a INT value', `${name}, ${String(value)}`, name, value);
        else if (value < range[0]) add('value_smaller_than_min', `Value ${value} smaller than min of ${range[0]}`, name, name, value);
        else if (value > range[1]) add('value_bigger_than_max', `Value ${value} bigger than max of ${range[1]}`, name, name, value);
      }
      const combo = spec.combos?.[name];
      const list = combo === 'models' ? this.modelFiles : combo;
      if (list && !list.includes(String(value))) add('value_not_in_list', 'Value not in list', `${name}: '${String(value)}' not in ${JSON.stringify(list)}`, name, value);
    }
    const custom = spec.validate?.(inputs, this.runContext());
    if (custom) errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: `image - ${custom}`, extra_info: {} });
    return [...(errors.length > 0 ? [{ id, errors }] : []), ...upstream];
  }

  private runContext(): RunContext {
    return {
      input: (name) => this.uploads.get(name),
      save: (prefix, extension, bytes) => {
        const slash = prefix.lastIndexOf('/');
        const subfolder = slash >= 0 ? prefix.slice(0, slash) : '';
        const filename = `${prefix.slice(slash + 1)}_${String(++this.fileCounter).padStart(5, '0')}_.${extension}`;
        this.files.set(`output/${subfolder ? `${subfolder}/` : ''}${filename}`, bytes);
        return { filename, subfolder, type: 'output' };
      },
    };
  }

  // --- execution (§3.9) ---

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (!this.killed && this.pending.length > 0) {
        this.pending.sort((a, b) => a.number - b.number);
        const item = this.pending.shift()!;
        this.current = { item, lastNode: null, interrupted: false };
        this.broadcastStatus();
        await this.execute(item);
        this.current = undefined;
      }
    } finally {
      this.working = false;
    }
  }

  private async execute(item: QueueItem): Promise<void> {
    const sid = item.extraData.client_id as string | undefined;
    const { promptId, prompt } = item;
    const messages: Array<[string, Record<string, unknown>]> = [];
    // add_message: recorded always, sent to the client (or broadcast when asked) (§3.8).
    const message = (type: string, data: Record<string, unknown>, broadcast = false) => {
      const stamped = { ...data, timestamp: Date.now() };
      messages.push([type, stamped]);
      if (sid !== undefined || broadcast) this.send(type, stamped, broadcast ? undefined : sid);
    };
    message('execution_start', { prompt_id: promptId });
    message('execution_cached', { nodes: [], prompt_id: promptId });

    const order: string[] = [];
    const visit = (id: string) => {
      if (order.includes(id)) return;
      for (const value of Object.values(prompt[id]!.inputs ?? {})) if (isLink(value)) visit(value[0]);
      order.push(id);
    };
    item.outputs.forEach(visit);

    const values = new Map<string, Value[]>();
    const outputs: Record<string, Record<string, unknown>> = {};
    const executed: string[] = [];
    let ending: 'success' | 'error' | 'interrupted' = 'success';
    for (const id of order) {
      if (this.killed) return;
      const node = prompt[id]!;
      const spec = NODE_CLASSES[node.class_type!]!;
      if (this.current!.interrupted) {
        message('execution_interrupted', { prompt_id: promptId, node_id: id, node_type: node.class_type, executed }, true);
        ending = 'interrupted';
        break;
      }
      // progress and progress_state go to the client, or to everyone without one (§3.8).
      const state = (s: string, value = 0, max = 1) =>
        this.send('progress_state', { prompt_id: promptId, nodes: { [id]: { value, max, state: s, node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id } } }, sid);
      state('running');
      this.current!.lastNode = id;
      if (sid !== undefined) this.send('executing', { node: id, display_node: id, prompt_id: promptId }, sid);
      const failure = this.failing;
      if (failure && failure.classType === node.class_type) {
        this.failing = undefined;
        message('execution_error', {
          prompt_id: promptId, node_id: id, node_type: node.class_type, executed: [...executed],
          exception_message: failure.message, exception_type: failure.exceptionType,
          traceback: ['Traceback (most recent call last):\n', `  File "execution.py", line 496, in execute\n`, `${failure.exceptionType}: ${failure.message}\n`],
          current_inputs: {}, current_outputs: [],
        });
        ending = 'error';
        break;
      }
      if (spec.sampler) {
        const steps = this.stepsOf(prompt, node.inputs ?? {});
        for (let step = 1; step <= steps; step++) {
          await new Promise((resolve) => setTimeout(resolve, this.stepDelayMs));
          if (this.killed) return;
          if (this.current!.interrupted) break;
          this.send('progress', { value: step, max: steps, prompt_id: promptId, node: id }, sid);
          state('running', step, steps);
          if (this.holding && step === 1) await new Promise<void>((resolve) => { this.releaseHold = resolve; });
          if (this.killed) return;
        }
        if (this.current!.interrupted) {
          message('execution_interrupted', { prompt_id: promptId, node_id: id, node_type: node.class_type, executed }, true);
          ending = 'interrupted';
          break;
        }
      }
      const inputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(node.inputs ?? {})) inputs[name] = isLink(value) ? values.get(value[0])?.[value[1]] : value;
      const result = await spec.run(inputs, this.runContext());
      values.set(id, result.values);
      if (result.ui) {
        outputs[id] = result.ui;
        if (sid !== undefined) this.send('executed', { node: id, display_node: id, output: result.ui, prompt_id: promptId }, sid);
      }
      executed.push(id);
      state('finished');
    }
    if (this.killed) return;
    if (ending === 'success') message('execution_success', { prompt_id: promptId });
    // task_done: history is written after the terminal event (the lag clients must retry through).
    await new Promise((resolve) => setTimeout(resolve, this.historyLagMs));
    if (this.killed) return;
    this.history.set(promptId, {
      prompt: [item.number, promptId, prompt, item.extraData, item.outputs],
      outputs,
      status: { status_str: ending === 'success' ? 'success' : 'error', completed: ending === 'success', messages },
      meta: {},
    });
    this.current = undefined;
    this.broadcastStatus();
    if (sid !== undefined) this.send('executing', { node: null, prompt_id: promptId }, sid);
  }

  /** KSampler's own steps, or the steps of the BasicScheduler feeding a custom sampler's sigmas. */
  private stepsOf(prompt: Graph, inputs: Record<string, unknown>): number {
    if (typeof inputs.steps === 'number') return inputs.steps;
    const sigmas = inputs.sigmas;
    const steps = isLink(sigmas) ? prompt[sigmas[0]]?.inputs?.steps : undefined;
    return typeof steps === 'number' ? steps : 4;
  }
}
