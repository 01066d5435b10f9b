/**
 * A model's page: the form generated from its input schema, the Run button, and "Copy as curl"
 * of exactly the body Run would send. The schema's checks and the file rules run before
 * anything is sent; what the server still refuses is shown at the field it names.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, ApiFailure, messageOf, type ModelDetail, type SubmitAnswer } from '../api.ts';
import { curlCommand, submitPath } from '../curl.ts';
import { hrefOf, navigate } from '../router.ts';
import { buildInput, fieldOfLocation, fieldsOf, type FormValue, type FormValues, initialValues } from '../schema-form.ts';
import { FieldControl } from './field-control.tsx';

export function ModelForm({ api, modelId }: { api: Api; modelId: string }) {
  const [model, setModel] = useState<ModelDetail>();
  const [loadError, setLoadError] = useState<string>();
  useEffect(() => {
    api.model(modelId).then(setModel, (failure) => setLoadError(messageOf(failure)));
  }, [api, modelId]);

  if (loadError) return <p class="error" role="alert">{loadError} <a href={hrefOf({ screen: 'gallery' })}>Back to the models</a></p>;
  if (!model) return <p class="muted">Loading {modelId}…</p>;
  return <LoadedForm api={api} model={model} />;
}

function LoadedForm({ api, model }: { api: Api; model: ModelDetail }) {
  const fields = useMemo(() => fieldsOf(model.input_schema, model.file_inputs), [model]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [shownProblems, setShownProblems] = useState<Record<string, string>>({});
  const [files, setFiles] = useState<Record<string, { busy: boolean; problem?: string }>>({});
  const [formError, setFormError] = useState<string>();
  const [sending, setSending] = useState(false);
  const [copied, setCopied] = useState<string>();
  const [showCurl, setShowCurl] = useState(false);

  const built = buildInput(fields, values);
  const uploading = Object.values(files).some((state) => state.busy);
  const curl = curlCommand(location.origin, model.model_id, built.input);

  const change = (name: string, value: FormValue) => {
    setValues((before) => ({ ...before, [name]: value }));
    setShownProblems(({ [name]: _dropped, ...rest }) => rest);
  };

  const run = async (event: Event) => {
    event.preventDefault();
    setFormError(undefined);
    const fileProblem = Object.entries(files).find(([, state]) => state.problem);
    if (Object.keys(built.problems).length > 0 || fileProblem) {
      setShownProblems(built.problems);
      setFormError('Fix the fields marked below; nothing was sent.');
      return;
    }
    setSending(true);
    try {
      const answer = await api.json<SubmitAnswer>('POST', submitPath(model.model_id), built.input);
      navigate({ screen: 'request', requestId: answer.request_id, modelId: model.model_id });
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.detail.length > 0) {
        const byField: Record<string, string> = {};
        const elsewhere: string[] = [];
        for (const item of failure.detail) {
          const field = fieldOfLocation(item.loc, fields);
          if (field) byField[field] = item.msg;
          else elsewhere.push(item.msg);
        }
        setShownProblems(byField);
        setFormError([failure.message, ...elsewhere].join(' '));
      } else setFormError(messageOf(failure));
    } finally {
      setSending(false);
    }
  };

  const copy = async () => {
    setShowCurl(true);
    try {
      await navigator.clipboard.writeText(curl);
      setCopied('Copied. Set MODELGATE_API_KEY in your shell first.');
    } catch {
      setCopied('Copy it from the box below (the browser refused clipboard access).');
    }
  };

  return (
    <section class="model-page">
      <p class="crumbs"><a href={hrefOf({ screen: 'gallery' })}>Models</a> / {model.model_id}</p>
      <h1>{model.display_name}</h1>
      <p class="chips">{model.categories.map((category) => <span key={category} class="chip">{category}</span>)}</p>
      {model.description && <p class="help">{model.description}</p>}
      <form class="card run-form" onSubmit={run} noValidate>
        {fields.map((field) => (
          <FieldControl
            key={field.name}
            api={api}
            field={field}
            value={values[field.name] ?? ''}
            problem={shownProblems[field.name]}
            onChange={(value) => change(field.name, value)}
            onFileState={(state) => setFiles((before) => ({ ...before, [field.name]: state }))}
          />
        ))}
        {formError && <p class="error" role="alert">{formError}</p>}
        <div class="actions">
          <button type="submit" class="primary" disabled={sending || uploading}>{sending ? 'Sending…' : uploading ? 'Uploading…' : 'Run'}</button>
          <button type="button" onClick={copy}>Copy as curl</button>
          {copied && <span class="muted">{copied}</span>}
        </div>
        {showCurl && <pre class="curl" aria-label="curl command">{curl}</pre>}
      </form>
    </section>
  );
}
