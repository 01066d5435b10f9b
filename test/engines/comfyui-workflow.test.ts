/**
 * The comfyui engine's data side, without a server: options errors name the option; workflow
 * files are checked at start-up (a typo names the file and the binding); the transforms give
 * exact sizes, pads and frame counts; every bundled workflow loads, names only the model files
 * docs/engines.md lists, and binds every input its catalog model's schema has.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { comfyuiOptions, DEFAULT_WORKFLOWS, BUNDLED_WORKFLOWS_DIR } from '../../src/engines/comfyui/options.ts';
import { TRANSFORMS, parseSize } from '../../src/engines/comfyui/transforms.ts';
import { buildPrompt, loadWorkflow } from '../../src/engines/comfyui/workflow.ts';
import { tempDir } from '../support/harness.ts';
import { INSTALLED_MODEL_FILES } from '../support/comfyui-nodes.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('comfyui options', () => {
  test('servers are required base URLs; every error names its option', () => {
    assert.throws(() => comfyuiOptions({ type: 'comfyui' }, '/'), /option servers must be a non-empty list/);
    assert.throws(() => comfyuiOptions({ type: 'comfyui', servers: ['ftp://x'] }, '/'), /option servers\[0\] must be an http\(s\) base URL/);
    assert.throws(() => comfyuiOptions({ type: 'comfyui', servers: ['http://a:1', 'http://a:1/'] }, '/'), /same server twice/);
    assert.throws(() => comfyuiOptions({ type: 'comfyui', servers: ['http://a:1'], poll_interval_ms: 0 }, '/'), /option poll_interval_ms must be/);
    assert.throws(() => comfyuiOptions({ type: 'comfyui', servers: ['http://a:1'], pollinterval: 5 }, '/'), /unknown option\(s\) pollinterval/);
    assert.throws(() => comfyuiOptions({ type: 'comfyui', servers: ['http://a:1'], workflows: { m: 3 } }, '/'), /option workflows\["m"\] must be a file path/);
  });

  test('defaults: the bundled workflow per catalog model; configured paths are relative to the config file', () => {
    const options = comfyuiOptions({ type: 'comfyui', servers: ['http://10.0.0.5:8188/'], workflows: { 'a/b': 'flows/mine.json' } }, '/etc/modelgate');
    assert.deepEqual(options.servers, ['http://10.0.0.5:8188']);
    assert.equal(options.workflows['a/b'], '/etc/modelgate/flows/mine.json');
    for (const [model, file] of Object.entries(DEFAULT_WORKFLOWS)) assert.equal(options.workflows[model], join(BUNDLED_WORKFLOWS_DIR, file));
    assert.deepEqual([options.requestTimeoutMs, options.serverLostMs, options.healthIntervalMs], [30_000, 30_000, 10_000]);
  });
});

describe('comfyui transforms', () => {
  const context = { modelId: 'm', input: {}, files: {}, upload: async () => 'x' };
  test('size strings in every catalog spelling', () => {
    assert.deepEqual(parseSize('2048x2048(1:1)'), [2048, 2048]);
    assert.deepEqual(parseSize('1152:864 (4:3)'), [1152, 864]);
    assert.deepEqual(parseSize('1600x2848 (9:16)'), [1600, 2848]);
    assert.deepEqual(parseSize('768:1280'), [768, 1280]);
    assert.throws(() => parseSize('2K'), /not a size/);
    assert.deepEqual(TRANSFORMS.size!.apply({ value: '6198x2656(21:9)' }, { megapixels: 1, multiple: 16 }, context, {}), { width: 6198, height: 2656, scaled_width: 1520, scaled_height: 656 });
  });

  test('outpaint: fitted, centred, and the pads add up to the exact target for every reframe resolution', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'catalog/ideogram-v3-reframe.json'), 'utf8'));
    const resolutions: string[] = schema.input_schema.properties.resolution.enum;
    for (const [w, h] of [[16, 16], [1000, 8], [4000, 3000], [333, 999]]) {
      for (const size of resolutions) {
        const files = { image: { path: '/x', kind: 'image' as const, contentType: 'image/png', sizeBytes: 1, width: w, height: h } };
        const v = await TRANSFORMS.outpaint!.apply({ image: 'u', size }, { multiple: 8 }, { ...context, files }, { image: 'image', size: 'resolution' }) as Record<string, number>;
        assert.equal(v.scaled_width! + v.left! + v.right!, v.width, `${w}×${h} → ${size}`);
        assert.equal(v.scaled_height! + v.top! + v.bottom!, v.height);
        for (const pad of [v.left, v.right, v.top, v.bottom]) assert.ok(pad! >= 0 && pad! % 8 === 0, `pads are non-negative multiples of 8 (${size})`);
        assert.ok(Math.abs(v.left! - v.right!) <= 8 && Math.abs(v.top! - v.bottom!) <= 8, 'centred');
      }
    }
  });

  test('frames: exactly seconds × fps kept, generated at the next length the model accepts', () => {
    assert.deepEqual(TRANSFORMS.frames!.apply({ value: 5 }, { fps: 24, step: 4 }, context, {}), { frames: 120, length: 121 });
    assert.deepEqual(TRANSFORMS.frames!.apply({ value: 10 }, { fps: 24, step: 8 }, context, {}), { frames: 240, length: 241 });
  });

  test('seed: the request\'s own, else derived from the whole input (same request, same seed)', () => {
    const derive = (input: Record<string, unknown>) => TRANSFORMS.seed!.apply({ value: input.seed }, {}, { ...context, input }, {}) as { value: number };
    assert.equal(derive({ seed: 42 }).value, 42);
    assert.equal(derive({ prompt: 'a' }).value, derive({ prompt: 'a' }).value);
    assert.notEqual(derive({ prompt: 'a' }).value, derive({ prompt: 'b' }).value);
  });
});

describe('comfyui workflow files', () => {
  test('every bundled workflow loads, uses only the documented model files, and binds its model\'s inputs', async () => {
    const docs = readFileSync(join(ROOT, 'docs/engines.md'), 'utf8');
    const ignored: Record<string, string[]> = {
      'ideogram/ideogram-v3/reframe': ['style', 'color_palette'],
      'bytedance/dreamina-4-0/text-to-image': ['scale', 'force_single'],
      'bytedance/seedream-5/lite/text-to-image': ['optimize_prompt_options'],
      'runwayml/runway-gen-3-alpha/turbo/image-to-video': [],
    };
    for (const [model, file] of Object.entries(DEFAULT_WORKFLOWS)) {
      const workflow = loadWorkflow(join(BUNDLED_WORKFLOWS_DIR, file));
      const spec = JSON.parse(readFileSync(join(BUNDLED_WORKFLOWS_DIR, file), 'utf8'));
      for (const { file: modelFile } of spec.model_files) {
        assert.ok(INSTALLED_MODEL_FILES.includes(modelFile), `${file}: ${modelFile} is installed on the double`);
        assert.ok(docs.includes(modelFile), `${file}: ${modelFile} is listed in docs/engines.md`);
      }
      const used = new Set(Object.values(workflow.graph).flatMap((node) => Object.values(node.inputs).filter((v) => typeof v === 'string' && /\.safetensors$/.test(v))));
      assert.deepEqual([...used].sort(), spec.model_files.map((f: { file: string }) => f.file).sort(), `${file}: model_files lists exactly what the graph loads`);
      const catalog = readdirCatalog().find((entry) => entry.model_id === model)!;
      const bound = new Set([...workflow.bindings.flatMap((b) => Object.values(b.inputs)), ...(workflow.outputFormat ? [workflow.outputFormat.input] : []), ...workflow.bindings.flatMap((b) => Object.keys(b.when ?? {}))]);
      const unbound = Object.keys(catalog.input_schema.properties).filter((field) => !bound.has(field) && !ignored[model]!.includes(field));
      assert.deepEqual(unbound, [], `${file}: every input of ${model} is bound or documented as ignored`);
    }
  });

  test('a typo in a workflow stops the engine with the file, the binding and what is wrong', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'g.json'), JSON.stringify({ '1': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } } }));
      const write = (spec: unknown) => {
        writeFileSync(join(dir.path, 'w.json'), JSON.stringify(spec));
        return () => loadWorkflow(join(dir.path, 'w.json'));
      };
      assert.throws(write({ graph: 'g.json', bindings: [{ input: 'p', to: { value: ['7', 'text'] } }], outputs: { nodes: ['1'] } }), /w\.json: bindings\[0\]: node 7 is not in g\.json/);
      assert.throws(write({ graph: 'g.json', bindings: [{ input: 'p', to: { value: ['1', 'prefix'] } }], outputs: { nodes: ['1'] } }), /node 1 \(SaveImage\) has no input "prefix"/);
      assert.throws(write({ graph: 'g.json', bindings: [{ input: 'p', transform: 'resize', to: {} }], outputs: { nodes: ['1'] } }), /unknown transform "resize"/);
      assert.throws(write({ graph: 'g.json', bindings: [{ input: 'p', transform: 'size', to: { value: ['1', 'filename_prefix'] } }], outputs: { nodes: ['1'] } }), /transform "size" has no value "value"/);
      assert.throws(write({ graph: 'g.json', bindings: [], outputs: { nodes: ['9'] } }), /output node 9 is not in g\.json/);
      assert.throws(write({ graph: 'g.json', bindings: [] }), /must have required property 'outputs'/);
      writeFileSync(join(dir.path, 'g.json'), JSON.stringify({ nodes: [], links: [] }));
      assert.throws(write({ graph: 'g.json', bindings: [], outputs: { nodes: ['1'] } }), /Export \(API\)/);
    } finally {
      dir.remove();
    }
  });

  test('when and map: seedream batches only in auto mode; 2K maps to a size', async () => {
    const workflow = loadWorkflow(join(BUNDLED_WORKFLOWS_DIR, DEFAULT_WORKFLOWS['bytedance/seedream-5/lite/text-to-image']!));
    const build = (input: Record<string, unknown>) => buildPrompt(workflow, { modelId: 'm', input, files: {}, upload: async () => 'x' });
    assert.equal((await build({ prompt: 'a', resolution: '2K', sequential_image_generation: 'disabled', max_images: 4 }))['5']!.inputs.batch_size, 1);
    const auto = await build({ prompt: 'a', resolution: '2K', sequential_image_generation: 'auto', max_images: 4 });
    assert.deepEqual([auto['5']!.inputs.batch_size, auto['30']!.inputs.width, auto['30']!.inputs.height], [4, 2048, 2048]);
  });
});

function readdirCatalog(): Array<{ model_id: string; input_schema: { properties: Record<string, unknown> } }> {
  return ['dreamina-4-0-text-to-image', 'ideogram-v3-reframe', 'runway-gen-3-alpha-turbo-image-to-video', 'seedream-5-lite-text-to-image']
    .map((name) => JSON.parse(readFileSync(join(ROOT, 'catalog', `${name}.json`), 'utf8')));
}
