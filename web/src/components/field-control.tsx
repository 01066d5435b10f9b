/** One form field, its control chosen by schema-form.ts: label (the schema's name), help, default, problem. */
import type { ComponentChildren } from 'preact';
import type { Api } from '../api.ts';
import type { FieldSpec, FormValue } from '../schema-form.ts';
import { FileField } from './file-field.tsx';

export interface FieldProps {
  api: Api;
  field: FieldSpec;
  value: FormValue;
  problem: string | undefined;
  onChange(value: FormValue): void;
  /** File fields: a file is being checked or uploaded (the run must wait), or its rule check failed. */
  onFileState(state: { busy: boolean; problem?: string }): void;
}

const idOf = (name: string) => `field-${name.replace(/[^\w-]/g, '_')}`;

function Control({ api, field, value, onChange, onFileState }: FieldProps): ComponentChildren {
  const id = idOf(field.name);
  const text = typeof value === 'string' ? value : '';
  const described = field.description ? `${id}-help` : undefined;
  const { control } = field;
  switch (control.kind) {
    case 'select':
      return (
        <select id={id} aria-describedby={described} aria-required={field.required || undefined} value={text} onChange={(e) => onChange(e.currentTarget.value)}>
          {(!field.required || field.default === undefined) && <option value="">{field.required ? 'Choose…' : '(not set)'}</option>}
          {control.options.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}
        </select>
      );
    case 'number':
      return (
        <input id={id} type="number" inputMode={control.integer ? 'numeric' : 'decimal'} aria-describedby={described} aria-required={field.required || undefined} step={control.integer ? 1 : 'any'}
          min={control.min} max={control.max} value={text} placeholder={field.required ? '' : '(not set)'} onInput={(e) => onChange(e.currentTarget.value)} />
      );
    case 'toggle':
      return (
        <span class="toggle">
          <input id={id} type="checkbox" role="switch" aria-describedby={described} aria-required={field.required || undefined} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
          <span>{value === true ? 'on' : 'off'}</span>
        </span>
      );
    case 'text':
      return control.multiline ? (
        <textarea id={id} rows={4} aria-describedby={described} aria-required={field.required || undefined} maxLength={control.maxLength} value={text} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <input id={id} type="text" aria-describedby={described} aria-required={field.required || undefined} maxLength={control.maxLength} value={text} onInput={(e) => onChange(e.currentTarget.value)} />
      );
    case 'json':
      return <textarea id={id} class="code" rows={3} aria-describedby={described} aria-required={field.required || undefined} placeholder={control.expects === 'object' ? '{ }' : '[ ]'} value={text} onInput={(e) => onChange(e.currentTarget.value)} />;
    case 'file':
      return <FileField api={api} id={id} name={field.name} control={control} value={text} onChange={onChange} onState={onFileState} />;
  }
}

export function FieldControl(props: FieldProps) {
  const { field, problem } = props;
  const id = idOf(field.name);
  const counter = field.control.kind === 'text' && field.control.maxLength !== undefined && typeof props.value === 'string' ? `${props.value.length} / ${field.control.maxLength}` : undefined;
  return (
    <div class={`field field-${field.control.kind}${problem ? ' invalid' : ''}`}>
      <div class="field-head">
        {/* The label is the field's name alone (what the API calls it); "required" is said beside it. */}
        <label for={id}>{field.name}</label>
        {field.required && <span class="required" title="required" aria-hidden="true">*</span>}
        {field.title && <span class="muted"> {field.title}</span>}
        {counter && <span class="muted counter">{counter}</span>}
      </div>
      {Control(props)}
      {field.description && <p id={`${id}-help`} class="help">{field.description}</p>}
      {field.default !== undefined && field.control.kind !== 'text' && <p class="help">Default: <code>{JSON.stringify(field.default)}</code></p>}
      {problem && <p class="error" role="alert">{field.name}: {problem}</p>}
    </div>
  );
}
