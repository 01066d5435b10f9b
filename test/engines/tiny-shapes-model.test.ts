/**
 * The committed bundled model (models/tiny-shapes/) is exactly what training/train-tiny-shapes.py
 * wrote: every file its manifest lists is there with the same size and SHA-256, nothing else is,
 * the weights stay under issue 5's 40 MB, and the evaluation split the benchmark relies on holds
 * (held-out triples never in a "seen" prompt, evaluation captions unique).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../../src/engines/onnx/onnx-engine.ts';
import { loadTokenizer } from '../../src/engines/onnx/tokenizer.ts';
import { readManifest } from '../../bench/lib/shapes-domain.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

describe('the bundled tiny-shapes model', () => {
  const manifest = readManifest(BUNDLED_MODEL_DIR);

  test('every file matches the manifest the training script wrote, and nothing else is there', () => {
    const listed = Object.keys(manifest.files).sort();
    assert.deepEqual(filesUnder(BUNDLED_MODEL_DIR).filter((f) => f !== 'manifest.json'), listed);
    for (const [file, { bytes, sha256 }] of Object.entries(manifest.files)) {
      const data = readFileSync(join(BUNDLED_MODEL_DIR, file));
      assert.equal(data.length, bytes, file);
      assert.equal(createHash('sha256').update(data).digest('hex'), sha256, file);
    }
  });

  test('the weights total at most 40 MB, and training took at most 60 minutes', () => {
    const onnx = Object.keys(manifest.files).filter((f) => f.endsWith('.onnx'));
    assert.equal(onnx.length, 3);
    const total = onnx.reduce((sum, f) => sum + statSync(join(BUNDLED_MODEL_DIR, f)).size, 0);
    assert.ok(total <= 40 * 1024 * 1024, `${total} bytes`);
    assert.ok(manifest.steps > 0 && manifest.training_seconds <= 3600, `${manifest.steps} steps in ${manifest.training_seconds} s`);
  });

  test('the evaluation split: 16 held-out triples, flagged exactly where a prompt uses one; unique captions', () => {
    const held = new Set(manifest.held_out_triples.map((t) => t.join('/')));
    assert.equal(held.size, 16);
    assert.equal(manifest.eval_prompts.length, 160);
    assert.equal(new Set(manifest.eval_prompts.map((p) => p.caption)).size, 160);
    for (const prompt of manifest.eval_prompts) {
      const uses = prompt.objects.some((o) => held.has(`${o.colour}/${o.shape}/${prompt.background}`));
      assert.equal(prompt.held_out, uses, prompt.caption);
    }
    assert.equal(manifest.eval_prompts.filter((p) => p.held_out).length, 48);
  });

  test('its word tokenizer knows every word of the evaluation captions', () => {
    const tokenizer = loadTokenizer(join(BUNDLED_MODEL_DIR, 'tokenizer'));
    const vocab = JSON.parse(readFileSync(join(BUNDLED_MODEL_DIR, 'tokenizer', 'vocab.json'), 'utf8')) as Record<string, number>;
    for (const prompt of manifest.eval_prompts) {
      const ids = [...tokenizer.encode(prompt.caption)];
      assert.ok(!ids.includes(vocab['<unk>']!), prompt.caption);
      assert.equal(ids[0], vocab['<bos>']);
      assert.equal(ids.length, 16);
    }
  });
});
