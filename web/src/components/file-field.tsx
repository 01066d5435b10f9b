/**
 * A file input as an upload area: drop a file or pick one (checked against the catalog's file
 * rules in the browser, with the rule's own message, then uploaded through POST /v1/files), or
 * paste a URL. The value sent is the upload's URL; the preview is the local file itself.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { checkFileRules } from '../../../src/catalog/file-rules.ts';
import { type Api, messageOf } from '../api.ts';
import { measureFile } from '../file-measure.ts';
import type { Control } from '../schema-form.ts';

interface Props {
  api: Api;
  id: string;
  name: string;
  control: Extract<Control, { kind: 'file' }>;
  value: string;
  onChange(value: string): void;
  onState(state: { busy: boolean; problem?: string }): void;
}

interface Preview {
  url: string;
  video: boolean;
  label: string;
}

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

export function FileField({ api, id, name, control, value, onChange, onState }: Props) {
  const [preview, setPreview] = useState<Preview>();
  const [note, setNote] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview.url);
  }, [preview]);

  const fail = (message: string) => {
    setProblem(message);
    setNote(undefined);
    onState({ busy: false, problem: message });
  };

  const take = async (file: File) => {
    setProblem(undefined);
    setNote(`Checking ${file.name}…`);
    onChange('');
    onState({ busy: true });
    setPreview({ url: URL.createObjectURL(file), video: file.type.startsWith('video/'), label: file.name });
    const { measures, decoded } = await measureFile(file);
    // The server's rule engine on the browser's measures: the same rules, the same messages.
    const broken = decoded ? checkFileRules(control.rules, measures) : undefined;
    if (broken) return fail(broken.message);
    setNote(`Uploading ${file.name} (${sizeText(file.size)})…`);
    try {
      const upload = await api.upload(file);
      onChange(upload.url);
      const pixels = measures.width !== undefined ? `, ${measures.width}×${measures.height}` : '';
      setNote(`Uploaded ${file.name} (${upload.content_type}, ${sizeText(upload.size)}${pixels})`);
      onState({ busy: false });
    } catch (error) {
      fail(messageOf(error));
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files[0];
    if (file) void take(file);
  };

  const typed = (text: string) => {
    if (preview) setPreview(undefined);
    setProblem(undefined);
    setNote(undefined);
    onChange(text);
    onState({ busy: false });
  };

  return (
    <div class="file-field">
      <div
        class={`drop-zone${dragging ? ' dragging' : ''}${problem ? ' invalid' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {preview && (preview.video ? <video class="preview" src={preview.url} muted controls /> : <img class="preview" src={preview.url} alt={`preview of ${preview.label}`} />)}
        <p>
          Drop a file here or{' '}
          <button type="button" class="link" onClick={() => picker.current?.click()}>choose one</button>
        </p>
        <input ref={picker} id={id} class="visually-hidden" type="file" accept={control.accept} aria-label={`${name} file`}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void take(file);
            e.currentTarget.value = '';
          }} />
      </div>
      <input type="url" class="file-url" aria-label={`${name} URL`} placeholder="or paste a URL (https://… or an upload's URL)" value={preview ? '' : value} onInput={(e) => typed(e.currentTarget.value)} />
      {note && <p class="help">{note}</p>}
      {problem && <p class="error" role="alert">{problem}</p>}
    </div>
  );
}
