/** The model gallery: every catalog entry with its categories, narrowed by a search box as you type. */
import { useEffect, useState } from 'preact/hooks';
import { type Api, messageOf, type ModelSummary } from '../api.ts';
import { hrefOf } from '../router.ts';

function matches(model: ModelSummary, words: string[]): boolean {
  const text = [model.model_id, model.display_name, model.description ?? '', ...model.categories].join(' ').toLowerCase();
  return words.every((word) => text.includes(word));
}

export function Gallery({ api }: { api: Api }) {
  const [models, setModels] = useState<ModelSummary[]>();
  const [error, setError] = useState<string>();
  const [search, setSearch] = useState('');

  useEffect(() => {
    api.models().then((answer) => setModels(answer.models), (failure) => setError(messageOf(failure)));
  }, [api]);

  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = models?.filter((model) => matches(model, words));

  return (
    <section>
      <div class="toolbar">
        <h1>Models</h1>
        <input type="search" aria-label="Search models" placeholder="Search models" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!models && !error && <p class="muted">Loading the catalog…</p>}
      {shown && shown.length === 0 && <p class="muted">No model matches “{search}”.</p>}
      <ul class="gallery">
        {shown?.map((model) => (
          <li key={model.model_id} class="card model-card">
            <a class="model-link" href={hrefOf({ screen: 'model', modelId: model.model_id })}>{model.display_name}</a>
            <p class="model-id">{model.model_id}</p>
            <p class="chips">{model.categories.map((category) => <span key={category} class="chip">{category}</span>)}</p>
            {model.description && <p class="help">{model.description}</p>}
            {model.engine_available === false && <p class="warning">No engine is configured for this model on this server.</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
