/**
 * The `comfyui` engine: each model runs a workflow (workflow.ts) on one of several ComfyUI
 * servers. One run: pick the least-loaded healthy server (pool.ts), upload the file inputs, queue
 * the prompt with our client_id and our own prompt_id, follow it (follow.ts), then stream its
 * output files out (outputs.ts). A prompt ComfyUI refuses fails the job with `invalid_workflow`
 * and the nodes' messages; a server that cannot be reached before queueing is skipped for the
 * next one; a server lost after queueing gives the job back to the queue (RetryableEngineError).
 * An abort (lease lost, shutdown) or the job timeout dequeues or interrupts our prompt.
 */
import { extname } from 'node:path';
import type { Logger } from 'pino';
import { v5 as uuidv5 } from 'uuid';
import { EngineError, RetryableEngineError, type Engine, type EngineJob, type EngineOutput, type EngineRunContext } from '../engine.ts';
import { followPrompt } from './follow.ts';
import { describeNodeErrors, PromptRejected, ServerUnreachable } from './http.ts';
import type { ComfyuiOptions } from './options.ts';
import { collectOutputs } from './outputs.ts';
import { ServerPool } from './pool.ts';
import type { ComfyServer } from './server.ts';
import { buildPrompt, loadWorkflow, type Workflow } from './workflow.ts';

/** Namespace of our prompt ids: uuid v5 of "<request id>/<attempt>", so a ComfyUI prompt can be traced to its job. */
const PROMPT_NAMESPACE = 'a3d7c1e2-5b7f-4c1a-9e2d-6f0b8c4d2e91';

/** The server could not be reached before our prompt was queued there. */
class NotQueued extends Error {
  constructor(override readonly cause: ServerUnreachable) {
    super(cause.message);
  }
}

/**
 * Runs a step that comes before our prompt is in the server's queue (uploads, /prompt): a refusal
 * is the workflow's fault; an unreachable server is nobody's, and the next server can be tried.
 */
async function beforeQueueing<T>(step: () => Promise<T>, workflow: Workflow): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PromptRejected) throw new EngineError('invalid_workflow', `ComfyUI refused the workflow ${workflow.file} for this job: ${error.message}`);
    if (error instanceof ServerUnreachable) throw new NotQueued(error);
    throw error;
  }
}

export function createComfyuiEngine(name: string, options: ComfyuiOptions, log: Logger): Engine {
  // Every workflow is read and checked now: a broken file stops the engine with its name.
  const workflows = new Map<string, Workflow>(Object.entries(options.workflows).map(([modelId, file]) => [modelId, loadWorkflow(file)]));
  const pool = new ServerPool(options.servers, options, log);

  async function runOn(server: ComfyServer, workflow: Workflow, job: EngineJob, context: EngineRunContext, signal: AbortSignal): Promise<EngineOutput[]> {
    const promptId = uuidv5(`${job.requestId}/${job.attempt}`, PROMPT_NAMESPACE);
    const prompt = await beforeQueueing(() => buildPrompt(workflow, {
      modelId: job.modelId,
      input: job.input,
      files: job.files,
      upload: (field) => {
        const file = job.files[field]!;
        const extension = extname(file.path) || `.${file.contentType.split('/')[1] ?? 'bin'}`;
        return server.http.upload(file.path, `modelgate-${job.requestId}-${job.attempt}-${field}${extension}`, file.contentType, signal);
      },
    }), workflow);
    // Set when /prompt has been sent: if the attempt stops while it is in flight, the prompt may
    // be queued there all the same, and dequeuing or interrupting an unknown id is harmless.
    let posted = false;
    let running = false;
    let markQueued!: () => void;
    const queuedSignal = new Promise<void>((resolve) => { markQueued = resolve; });
    // Following starts before queueing: ComfyUI may start (and even finish) before /prompt
    // answers. `done` ends the follower whatever happens here.
    const done = new AbortController();
    const follow = followPrompt(server, promptId, {
      signal: AbortSignal.any([signal, done.signal]),
      queued: queuedSignal,
      pollIntervalMs: options.pollIntervalMs,
      reconcileIntervalMs: options.reconcileIntervalMs,
      serverLostMs: options.serverLostMs,
      nodeCount: Object.keys(prompt).length,
      progress: (fraction) => context.progress(0.02 + 0.93 * fraction),
      started: () => { running = true; },
    });
    follow.catch(() => undefined);
    try {
      posted = true;
      const { nodeErrors } = await beforeQueueing(() => server.http.queuePrompt(prompt, promptId, server.clientId, signal), workflow);
      markQueued();
      // A 200 may still list nodes that failed validation (only some outputs run, §3.1).
      if (Object.keys(nodeErrors).length > 0) context.log.warn({ nodeErrors: describeNodeErrors(nodeErrors) }, 'ComfyUI queued the prompt without some of its outputs');
      context.log.info({ server: server.baseUrl, prompt_id: promptId }, 'prompt queued on ComfyUI');
      const entry = await follow;
      return await collectOutputs(server, entry, workflow, job, context.workDir, signal);
    } catch (error) {
      if (signal.aborted && posted) await cancel(server, promptId, running, context.log);
      throw error;
    } finally {
      done.abort();
    }
  }

  async function cancel(server: ComfyServer, promptId: string, running: boolean, log: Logger): Promise<void> {
    try {
      // Dequeue first unless we know it runs: an interrupt only reaches the running prompt (§3.5),
      // and a dequeue only a pending one (§3.6); the prompt may have started in between.
      if (!running) {
        await server.http.dequeue(promptId);
        if ((await server.http.queueState(promptId)) !== 'running') {
          log.info({ server: server.baseUrl, prompt_id: promptId }, 'prompt removed from the ComfyUI queue');
          return;
        }
      }
      await server.http.interrupt(promptId);
      log.info({ server: server.baseUrl, prompt_id: promptId }, 'prompt interrupted on ComfyUI');
    } catch (error) {
      log.warn({ server: server.baseUrl, prompt_id: promptId, err: error }, 'could not cancel the prompt on ComfyUI');
    }
  }

  return {
    name,
    type: 'comfyui',
    async run(job, context) {
      const workflow = workflows.get(job.modelId);
      if (!workflow) {
        throw new EngineError('engine_unavailable', `The comfyui engine "${name}" has no workflow for ${job.modelId}. Add one under its "workflows" option in MODELGATE_CONFIG (see docs/engines.md, "comfyui").`);
      }
      const timeout = AbortSignal.timeout(options.jobTimeoutMs);
      const signal = AbortSignal.any([context.signal, timeout]);
      const tried = new Set<ComfyServer>();
      try {
        for (;;) {
          const server = await pool.pick(tried, options.unavailableWaitMs, signal);
          server.inFlight += 1;
          try {
            return await runOn(server, workflow, job, context, signal);
          } catch (error) {
            if (signal.aborted) throw error;
            if (error instanceof NotQueued) {
              // Nothing reached this server's queue: the next server can take the job at once.
              server.markUnhealthy(error.cause.message);
              tried.add(server);
              context.log.warn({ server: server.baseUrl, problem: error.cause.message }, 'ComfyUI server unreachable before queueing; trying another');
              continue;
            }
            if (!(error instanceof ServerUnreachable)) throw error;
            server.markUnhealthy(error.message);
            throw new RetryableEngineError('comfyui_server_lost', error.message);
          } finally {
            server.inFlight -= 1;
          }
        }
      } catch (error) {
        if (timeout.aborted && !context.signal.aborted) {
          throw new EngineError('timeout', `The ComfyUI job did not finish within job_timeout_ms (${options.jobTimeoutMs} ms)`);
        }
        if (context.signal.aborted) throw context.signal.reason;
        throw error;
      }
    },
    async close() {
      pool.close();
    },
  };
}
