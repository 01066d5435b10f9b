/**
 * History: this key's requests, newest first (GET /v1/requests), filtered by model and status
 * (kept in the URL, so a reload shows the same list), a page at a time. Each opens in the run view.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Api, type HistoryItem, messageOf, type ModelSummary } from '../api.ts';
import { hrefOf, navigate } from '../router.ts';
import { outputFiles } from './outputs.tsx';

const PAGE = 25;
const STATUSES = ['in_queue', 'in_progress', 'succeeded', 'failed', 'cancelled'];

export function History({ api, query }: { api: Api; query: Record<string, string> }) {
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [items, setItems] = useState<HistoryItem[]>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const modelFilter = query.model ?? '';
  const statusFilter = query.status ?? '';

  useEffect(() => {
    api.models().then((answer) => setModels(answer.models), () => undefined);
  }, [api]);

  const load = async (after: string | null) => {
    setError(undefined);
    try {
      const page = await api.history({ limit: String(PAGE), model_id: modelFilter, status: statusFilter, ...(after ? { cursor: after } : {}) });
      setItems((before) => (after ? [...(before ?? []), ...page.requests] : page.requests));
      setCursor(page.next_cursor);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  useEffect(() => {
    setItems(undefined);
    void load(null);
  }, [api, modelFilter, statusFilter]);

  const filter = (name: 'model' | 'status', value: string) => navigate({ screen: 'history', query: { ...query, [name]: value } }, true);

  return (
    <section>
      <div class="toolbar">
        <h1>History</h1>
        <select aria-label="Model filter" value={modelFilter} onChange={(e) => filter('model', e.currentTarget.value)}>
          <option value="">All models</option>
          {models.map((model) => <option key={model.model_id} value={model.model_id}>{model.display_name}</option>)}
        </select>
        <select aria-label="Status filter" value={statusFilter} onChange={(e) => filter('status', e.currentTarget.value)}>
          <option value="">Any status</option>
          {STATUSES.map((status) => <option key={status} value={status}>{status.replace('_', ' ')}</option>)}
        </select>
        <button type="button" onClick={() => void load(null)}>Refresh</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!items && !error && <p class="muted">Loading…</p>}
      {items && items.length === 0 && <p class="muted">No requests{modelFilter || statusFilter ? ' match these filters' : ' yet: run a model first'}.</p>}
      <ul class="history">
        {items?.map((item) => {
          const thumb = outputFiles(item.output).find((file) => !file.video);
          return (
            <li key={item.request_id} class="card history-item">
              <a class="history-link" href={hrefOf({ screen: 'request', requestId: item.request_id, modelId: item.model_id })}>
                {thumb ? <img class="thumb" src={thumb.url} alt="" /> : <span class="thumb empty" />}
                <span class="history-text">
                  <strong>{models.find((model) => model.model_id === item.model_id)?.display_name ?? item.model_id}</strong>
                  <span class={`state state-${item.status}`}>{item.status.replace('_', ' ')}</span>
                  <span class="muted">{new Date(item.created_at).toLocaleString()}</span>
                  <code class="muted request-id">{item.request_id}</code>
                  {item.error && <span class="error">{item.error.message}</span>}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      {cursor && <button type="button" onClick={() => void load(cursor)}>Load more</button>}
    </section>
  );
}
