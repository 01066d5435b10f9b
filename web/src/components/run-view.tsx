/**
 * One request, live: state, queue position, progress and elapsed time from the event stream;
 * Cancel while it waits in the queue; then its outputs, error and timings. History items open here.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Api, messageOf, type ResultView, type StatusView } from '../api.ts';
import { followRequest } from '../follow-request.ts';
import { hrefOf } from '../router.ts';
import { Outputs } from './outputs.tsx';

const STATE_TEXT: Record<string, string> = {
  in_queue: 'Queued',
  in_progress: 'Running',
  completed: 'Finished',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function RunView({ api, requestId, modelId }: { api: Api; requestId: string; modelId: string | undefined }) {
  const [status, setStatus] = useState<StatusView>();
  const [result, setResult] = useState<ResultView>();
  const [error, setError] = useState<string>();
  const [cancelNote, setCancelNote] = useState<string>();
  const [now, setNow] = useState(Date.now());
  // The result route gives the submit time at any state; until it answers, time counts from opening.
  const [createdAt, setCreatedAt] = useState<number>(Date.now());
  const [input, setInput] = useState<Record<string, unknown>>();

  useEffect(() => {
    const stop = new AbortController();
    followRequest(api, requestId, { status: setStatus, result: setResult, failed: (failure) => setError(messageOf(failure)) }, stop.signal);
    api.result(requestId, { includeInput: true }).then((view) => {
      setCreatedAt(Date.parse(view.created_at));
      setInput(view.input);
    }, () => undefined);
    return () => stop.abort();
  }, [api, requestId]);

  const finished = result !== undefined;
  useEffect(() => {
    if (finished) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, [finished]);

  const cancel = async () => {
    try {
      const answer = await api.cancel(requestId);
      setCancelNote(answer.outcome === 'cancelled' ? 'Cancelled.' : `Too late to cancel: it is ${STATE_TEXT[answer.status]?.toLowerCase() ?? answer.status}.`);
    } catch (failure) {
      setCancelNote(messageOf(failure));
    }
  };

  const state = result?.status ?? status?.status;
  const finishedAt = result?.finished_at ? Date.parse(result.finished_at) : undefined;
  const elapsed = Math.max(0, (finishedAt ?? (finished ? Date.parse(result.created_at) : now)) - (result ? Date.parse(result.created_at) : createdAt));

  return (
    <section class="run-view">
      <p class="crumbs">
        {modelId ? <a href={hrefOf({ screen: 'model', modelId })}>{modelId}</a> : <a href={hrefOf({ screen: 'gallery' })}>Models</a>} / request
      </p>
      <h1>Run <code class="request-id">{requestId}</code></h1>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="card status-card" aria-live="polite">
        <p>
          <span class={`state state-${state ?? 'unknown'}`} data-testid="run-state">{state ? STATE_TEXT[state] ?? state : 'Connecting…'}</span>
          {status?.status === 'in_queue' && status.queue_position !== undefined && !finished && <span> · position {status.queue_position + 1} in the queue</span>}
          <span class="muted"> · {finished ? 'took' : 'elapsed'} {seconds(elapsed)}</span>
        </p>
        {status?.status === 'in_progress' && !finished && (
          <progress max={1} value={status.progress ?? undefined} aria-label="progress">{status.progress !== undefined ? `${Math.round(status.progress * 100)} %` : ''}</progress>
        )}
        {status?.status === 'in_queue' && !finished && <button type="button" onClick={cancel}>Cancel</button>}
        {cancelNote && <p class="help">{cancelNote}</p>}
      </div>
      {result && (
        <div class="card">
          {result.status === 'succeeded' && <Outputs output={result.output} />}
          {result.error && <p class="error">{result.error.type}: {result.error.message}</p>}
          <dl class="facts">
            <dt>Submitted</dt><dd>{new Date(result.created_at).toLocaleString()}</dd>
            {result.finished_at && <><dt>Finished</dt><dd>{new Date(result.finished_at).toLocaleString()}</dd></>}
            {result.metrics?.queue_seconds !== undefined && <><dt>In queue</dt><dd>{result.metrics.queue_seconds.toFixed(2)} s</dd></>}
            {result.metrics?.run_seconds !== undefined && <><dt>Running</dt><dd>{result.metrics.run_seconds.toFixed(2)} s</dd></>}
            <dt>Result</dt><dd><code>GET /v1/requests/{requestId}/result</code></dd>
          </dl>
        </div>
      )}
      {input && <Inputs input={input} />}
    </section>
  );
}

/** The input the request runs with (defaults filled in); a file field's value is its URL. */
function Inputs({ input }: { input: Record<string, unknown> }) {
  return (
    <div class="card">
      <h3>Inputs</h3>
      <dl class="facts" aria-label="inputs">
        {Object.entries(input).map(([name, value]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>{typeof value === 'string' && /^https?:\/\//.test(value) ? <a href={value} target="_blank" rel="noreferrer">{value}</a> : typeof value === 'string' ? value : JSON.stringify(value)}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}
