/**
 * The page a catalog entry's `model_url` points to: what a person clicking that link wants (what
 * the model does, what it costs, which inputs it takes and how to call it), rendered from the
 * catalog as one small self-contained HTML document. The JSON schema stays at GET /v1/models/{id}.
 */
import type { CatalogModel, FileRule, JsonSchema } from '../catalog/types.ts';

const PAGE_PREFIX = '/models/';

/** Segment by segment, so the id's slashes stay path separators. */
export function modelPageUrl(publicUrl: string, modelId: string): string {
  return `${publicUrl}${PAGE_PREFIX}${modelId.split('/').map(encodeURIComponent).join('/')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Values interpolated into HTML are escaped here, once; `raw` marks markup already built. */
function html(strings: TemplateStringsArray, ...values: Array<string | number | { raw: string }>): { raw: string } {
  return { raw: strings.reduce((out, s, i) => out + s + (i < values.length ? interpolate(values[i]!) : ''), '') };
}
const interpolate = (value: string | number | { raw: string }): string => (typeof value === 'object' ? value.raw : escapeHtml(String(value)));
const join = (parts: Array<{ raw: string }>): { raw: string } => ({ raw: parts.map((p) => p.raw).join('') });

/** The price as the catalog entry carries it (the pricing fields), or nothing when it has none. */
function priceLine(entry: Record<string, unknown>): { raw: string } {
  if (typeof entry.base_price_usd !== 'number') return { raw: '' };
  const unit = typeof entry.price_unit === 'string' ? html` per ${entry.price_unit}` : { raw: '' };
  const note = typeof entry.pricing_note === 'string' && entry.pricing_note !== '' ? html` (${entry.pricing_note})` : { raw: '' };
  return html`<p><strong>Price:</strong> $${entry.base_price_usd}${unit}${note}</p>`;
}

function allowed(property: JsonSchema): string {
  const parts: string[] = [];
  if (Array.isArray(property.enum)) parts.push(`one of ${property.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (typeof property.minimum === 'number' || typeof property.maximum === 'number') parts.push(`${property.minimum ?? '…'} to ${property.maximum ?? '…'}`);
  if (typeof property.maxLength === 'number') parts.push(`at most ${property.maxLength} characters`);
  // A range is two rules with one message (`>` and `<`), which reads once.
  for (const message of new Set(((property.validations ?? []) as FileRule[]).map((rule) => rule.validation_error.replace(/\.$/, '')))) parts.push(message);
  return parts.join('; ');
}

function inputRows(model: CatalogModel): { raw: string } {
  const properties = (model.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((model.inputSchema.required ?? []) as string[]);
  return join(
    Object.entries(properties).map(([name, property]) => {
      const file = model.fileInputs.find((input) => input.field === name);
      const type = file ? `${file.kind} (URL, upload or data: URI)` : String(property.type ?? 'any');
      const fallback = property.default === undefined ? '' : JSON.stringify(property.default);
      const about = [property.title, property.description].filter((t) => typeof t === 'string' && t !== '').join(': ');
      return html`<tr><td><code>${name}</code></td><td>${type}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${fallback}</td><td>${allowed(property)}</td><td>${about}</td></tr>`;
    }),
  );
}

/** A body with the required inputs, at their defaults where they have one (as RunComfy's pages show it). */
function exampleBody(model: CatalogModel): string {
  const properties = (model.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (model.inputSchema.required ?? []) as string[];
  return JSON.stringify(Object.fromEntries(required.map((name) => [name, properties[name]?.default ?? ''])));
}

export function renderModelPage(model: CatalogModel, entry: Record<string, unknown>, publicUrl: string): string {
  const submitUrl = `${publicUrl}/v1/models/${model.id}`;
  const shellBody = exampleBody(model).replaceAll("'", "'\\''");
  const categories = model.categories.join(', ');
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${model.displayName} · ModelGate</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}pre{background:#f4f4f4;padding:.8rem;overflow-x:auto}</style>
</head><body>
<h1>${model.displayName}</h1>
<p><code>${model.id}</code> · ${categories}</p>
<p>${model.description}</p>
${priceLine(entry)}
<h2>Run it</h2>
<pre>curl -X POST ${submitUrl} \\
  -H "Authorization: Bearer $MODELGATE_API_KEY" -H "Content-Type: application/json" \\
  -d '${shellBody}'</pre>
<p>The answer carries a <code>status_url</code> to poll and a <code>result_url</code> whose <code>output</code> holds the URLs of the results.
The input schema as JSON: <code>GET ${submitUrl}</code> (with a key); every route: <a href="${publicUrl}/openapi.json">/openapi.json</a>.</p>
<h2>Inputs</h2>
<table><tr><th>field</th><th>type</th><th>required</th><th>default</th><th>allowed</th><th>about</th></tr>
${inputRows(model)}
</table>
</body></html>
`.raw;
}
