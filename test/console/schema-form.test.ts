/**
 * The console's DOM-free parts, in Node: the schema → form mapping on every catalog model (no
 * per-model code, so the real catalog is the test data), the body it builds checked by the
 * server's own validator, "copy as curl" quoting, and the event-stream parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileInputsView } from '../../src/api/routes/models.ts';
import { loadCatalog } from '../../src/catalog/catalog.ts';
import { curlCommand, shellQuote, submitPath } from '../../web/src/curl.ts';
import { buildInput, fieldOfLocation, fieldsOf, initialValues } from '../../web/src/schema-form.ts';
import { EventStreamParser } from '../../web/src/sse.ts';
import { MODEL_IDS } from '../support/models.ts';

const catalog = loadCatalog();
const schemaOf = (id: string) => catalog.get(id)!.inputSchema;
/** The form as the console builds it from GET /v1/models/{id}: the schema and the route's own `file_inputs`. */
const formOf = (id: string) => fieldsOf(schemaOf(id), fileInputsView(catalog.get(id)!));
const byName = (id: string) => Object.fromEntries(formOf(id).map((field) => [field.name, field]));

describe('schema → form', () => {
  test('each schema type gets its control: enums as selects, bounded numbers, toggles, long text as text areas', () => {
    const dreamina = byName(MODEL_IDS.dreamina);
    assert.deepEqual(dreamina.prompt!.control, { kind: 'text', multiline: true, maxLength: 800 });
    assert.equal(dreamina.prompt!.required, true);
    assert.equal(dreamina['width×height']!.control.kind, 'select');
    assert.equal(dreamina['width×height']!.default, '2048x2048(1:1)');
    // `float` in the seed: a number (not an integer) with its bounds.
    assert.deepEqual(dreamina.scale!.control, { kind: 'number', integer: false, min: 0, max: 1 });
    assert.deepEqual(dreamina.force_single!.control, { kind: 'toggle' });
    assert.match(dreamina.scale!.description!, /text prompt influences/);
    const runway = byName(MODEL_IDS.runway);
    assert.deepEqual(runway.seed!.control, { kind: 'number', integer: true, min: 0, max: 4294967295 });
    assert.deepEqual(runway.duration!.control, { kind: 'select', options: [5, 10] });
    assert.deepEqual(byName(MODEL_IDS.reframe).style!.control, { kind: 'json', expects: 'object' });
  });

  test('file fields are the model\'s file_inputs, picked by kind, with the catalog\'s rules; required fields come first', () => {
    for (const id of Object.values(MODEL_IDS)) {
      const model = catalog.get(id)!;
      const fields = formOf(id);
      const files = fields.filter((field) => field.control.kind === 'file').map((field) => field.name);
      assert.deepEqual(files, model.fileInputs.map((input) => input.field), id);
      const firstOptional = fields.findIndex((field) => !field.required);
      assert.ok(fields.slice(firstOptional).every((field) => !field.required), `${id}: required fields first`);
      // Without the list no field is a file field, however its schema looks.
      assert.ok(fieldsOf(model.inputSchema, {}).every((field) => field.control.kind !== 'file'), `${id}: only file_inputs make file fields`);
    }
    const image = byName(MODEL_IDS.runway).promptImage!.control;
    assert.equal(image.kind, 'file');
    if (image.kind === 'file') {
      assert.equal(image.accept, 'image/*');
      assert.deepEqual(image.rules, catalog.get(MODEL_IDS.runway)!.fileInputs[0]!.rules);
    }
    const video = fieldsOf({ type: 'object', properties: { clip: { type: 'string' } } }, { clip: { kind: 'video' } })[0]!.control;
    assert.deepEqual(video, { kind: 'file', accept: 'video/*', rules: [] });
  });

  test('the form\'s first values, sent as they are, are accepted by the server\'s validator for every model (files filled in)', () => {
    for (const id of Object.values(MODEL_IDS)) {
      const fields = formOf(id);
      const values = initialValues(fields);
      for (const field of fields) {
        if (field.control.kind === 'file') values[field.name] = 'https://example.test/picture.png';
        if (field.required && values[field.name] === '') values[field.name] = field.control.kind === 'select' ? String(field.control.options[0]) : 'a prompt';
      }
      const { input, problems } = buildInput(fields, values);
      assert.deepEqual(problems, {}, id);
      const checked = catalog.validate(id, structuredClone(input));
      assert.ok(checked.ok, `${id}: ${JSON.stringify(checked)}`);
    }
  });

  test('values keep their schema types; empty optional fields are left to the server\'s defaults', () => {
    const fields = formOf(MODEL_IDS.runway);
    const values = { ...initialValues(fields), promptText: 'zoom', promptImage: ' https://example.test/a.png ', seed: '42', duration: '10' };
    assert.deepEqual(buildInput(fields, values).input, { promptText: 'zoom', promptImage: 'https://example.test/a.png', ratio: '1280:768', duration: 10, seed: 42 });
    assert.deepEqual(buildInput(fields, { ...values, seed: '' }).input.seed, undefined);
  });

  test('what the schema forbids is caught before sending, at the field', () => {
    const fields = formOf(MODEL_IDS.dreamina);
    const base = initialValues(fields);
    assert.deepEqual(buildInput(fields, { ...base, prompt: '' }).problems, { prompt: 'is required' });
    assert.deepEqual(buildInput(fields, { ...base, scale: '1.5' }).problems, { scale: 'must be <= 1' });
    assert.deepEqual(buildInput(fields, { ...base, scale: 'abc' }).problems, { scale: 'must be a number' });
    assert.deepEqual(buildInput(fields, { ...base, prompt: 'x'.repeat(801) }).problems, { prompt: 'must be at most 800 characters (now 801)' });
    const runway = formOf(MODEL_IDS.runway);
    assert.deepEqual(buildInput(runway, { ...initialValues(runway), promptText: 'x', promptImage: 'https://example.test/a.png', seed: '1.5' }).problems, { seed: 'must be a whole number' });
    const reframe = formOf(MODEL_IDS.reframe);
    assert.deepEqual(buildInput(reframe, { ...initialValues(reframe), style: '[1]' }).problems, { image: 'choose a file or give a URL', style: 'must be a JSON object' });
  });

  test('a server validation error is shown at the field its location names', () => {
    const fields = formOf(MODEL_IDS.runway);
    assert.equal(fieldOfLocation(['body', 'promptImage'], fields), 'promptImage');
    assert.equal(fieldOfLocation(['body'], fields), undefined);
  });
});

describe('copy as curl', () => {
  test('single quotes survive the shell, the model id keeps its slashes, the key stays a variable', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(submitPath('bytedance/dreamina-4-0/text-to-image'), '/v1/models/bytedance/dreamina-4-0/text-to-image');
    const command = curlCommand('http://127.0.0.1:8080', MODEL_IDS.dreamina, { prompt: "it's" });
    assert.equal(command, [
      "curl -X POST 'http://127.0.0.1:8080/v1/models/bytedance/dreamina-4-0/text-to-image' \\",
      '  -H "Authorization: Bearer $MODELGATE_API_KEY" \\',
      "  -H 'Content-Type: application/json' \\",
      `  -d '{"prompt":"it'\\''s"}'`,
    ].join('\n'));
  });
});

describe('event-stream parser', () => {
  const stream = 'event: status\ndata: {"status":"in_queue"}\n\n: keep-alive\n\nevent: result\r\ndata: {"a":\r\ndata: 1}\r\n\r\n';

  test('events, comments and line endings as the WHATWG rules say', () => {
    assert.deepEqual(new EventStreamParser().feed(stream), [
      { event: 'status', data: '{"status":"in_queue"}' },
      { event: 'result', data: '{"a":\n1}' },
    ]);
  });

  test('any split of the text gives the same events', () => {
    const whole = new EventStreamParser().feed(stream);
    for (let size = 1; size <= 7; size++) {
      const parser = new EventStreamParser();
      const events = [];
      for (let at = 0; at < stream.length; at += size) events.push(...parser.feed(stream.slice(at, at + size)));
      assert.deepEqual(events, whole, `pieces of ${size}`);
    }
  });
});
