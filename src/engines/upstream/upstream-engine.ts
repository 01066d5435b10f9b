/**
 * The `upstream` engine: runs a model by forwarding its jobs to another RunComfy-compatible API
 * (RunComfy itself, or another ModelGate). One attempt = prepare the body (inputs.ts), submit
 * with an Idempotency-Key (submit.ts), follow status to the result (poll.ts), copy the outputs
 * into files (outputs.ts). Transient failures are retried inside the attempt (retry.ts); when
 * the attempt stops early, the upstream job is cancelled, best effort (cancel.ts).
 * Options and their defaults: options.ts; the policy decisions: docs/engines.md, "upstream".
 */
import type { Logger } from 'pino';
import { EngineError, RetryableEngineError, type Engine, type EngineOutput } from '../engine.ts';
import { cancelUpstream } from './cancel.ts';
import { UpstreamBadResponse, UpstreamHttp } from './http.ts';
import { upstreamBody } from './inputs.ts';
import { upstreamModelId, type UpstreamOptions } from './options.ts';
import { copyOutputs, outputRefs } from './outputs.ts';
import { follow } from './poll.ts';
import { submit } from './submit.ts';

export function createUpstreamEngine(name: string, options: UpstreamOptions, log: Logger): Engine {
  const http = new UpstreamHttp(options);
  log.info({ base_url: options.baseUrl, token_env: options.tokenEnv ?? null, file_inputs: options.fileInputs }, 'upstream engine ready');
  return {
    name,
    type: 'upstream',
    async run(job, context): Promise<EngineOutput[]> {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any([context.signal, deadline]);
      const retry = { options, signal, log: context.log };
      let upstreamId: string | undefined;
      let finished = false;
      try {
        const body = await upstreamBody(job, options, http, retry);
        upstreamId = await submit(job, body, http, retry);
        context.log.info({ upstream_request_id: upstreamId, upstream_model: upstreamModelId(options, job.modelId) }, 'submitted to the upstream');
        const result = await follow(upstreamId, { ...retry, http, progress: context.progress });
        finished = true;
        const refs = outputRefs(result.output);
        if (refs.length === 0) throw new EngineError('upstream_bad_output', `The upstream at ${options.origin} finished request ${upstreamId} without any output.`);
        const outputs = await copyOutputs(refs, { ...retry, http, workDir: context.workDir }, (fraction) => context.progress(0.9 + 0.1 * fraction));
        context.log.info({ upstream_request_id: upstreamId, outputs: outputs.length }, 'copied the upstream outputs');
        return outputs;
      } catch (error) {
        // Cancel only when we walk away from a job that may still be queued upstream: not when
        // the upstream itself ended it (failed, cancelled, refused to show it).
        const walkingAway = signal.aborted || error instanceof RetryableEngineError || error instanceof UpstreamBadResponse;
        if (upstreamId && !finished && walkingAway) {
          await cancelUpstream(http, upstreamId, context.signal.aborted ? 'attempt stopped' : deadline.aborted ? 'timeout' : 'gave up', context.log);
        }
        if (context.signal.aborted) throw context.signal.reason;
        if (deadline.aborted) throw new EngineError('upstream_timeout', `The upstream at ${options.origin} did not finish within timeout_s (${options.timeoutMs / 1000} s).`);
        if (error instanceof UpstreamBadResponse) throw new EngineError('upstream_bad_response', `The upstream at ${options.origin} answered with ${error.message}.`);
        throw error;
      }
    },
    close: () => http.close(),
  };
}
