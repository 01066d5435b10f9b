/**
 * The page each catalog entry's model_url names: served without a key at that URL's path, HTML
 * made from the catalog (name, id, categories, description, every input with its type, default
 * and allowed values, a submit example), catalog text escaped, unknown ids 404001.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { CatalogFile } from '../../src/catalog/types.ts';
import { createContext } from '../../src/context.ts';
import { CATALOG_DIR, MODELS } from '../catalog/fixtures.ts';
import { createHarness, type Harness, tempDir, testConfig } from '../support/harness.ts';
import { createTestEngine } from '../support/test-engine.ts';

describe('model pages (model_url)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ env: { MODELGATE_PUBLIC_URL: 'https://gate.example.test' } });
  });
  after(() => h.close());

  const page = (modelUrl: string) => h.app.inject({ method: 'GET', url: new URL(modelUrl).pathname });

  test('every entry\'s model_url opens, without a key, as an HTML page about that model', async () => {
    const { models } = (await h.app.inject({ method: 'GET', url: '/v1/models?include_schema=true', headers: h.auth })).json();
    assert.equal(models.length, 4);
    for (const model of models) {
      const res = await page(model.model_url);
      assert.equal(res.statusCode, 200, `${model.model_url}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.ok(res.body.includes(`<h1>${model.display_name.replaceAll("'", '&#39;')}</h1>`), model.model_id);
      assert.ok(res.body.includes(`<code>${model.model_id}</code>`));
      assert.ok(res.body.includes(`curl -X POST https://gate.example.test/v1/models/${model.model_id}`));
      for (const field of Object.keys(model.input_schema.properties)) {
        assert.ok(res.body.includes(`<td><code>${field}</code></td>`), `${model.model_id} lists ${field}`);
      }
    }
  });

  test('inputs show type, required, default and what is allowed (enum, range, length, file rules once each)', async () => {
    const body = (await page(`https://gate.example.test/models/${MODELS.runway}`)).body;
    assert.match(body, /<td><code>duration<\/code><\/td><td>integer<\/td><td><\/td><td>5<\/td><td>one of 5, 10<\/td>/);
    assert.match(body, /<td><code>seed<\/code><\/td><td>integer<\/td><td><\/td><td><\/td><td>0 to 4294967295<\/td>/);
    assert.match(body, /<td><code>promptText<\/code><\/td><td>string<\/td><td>yes<\/td><td><\/td><td>at most 512 characters<\/td>/);
    assert.match(body, /<td><code>promptImage<\/code><\/td><td>image \(URL, upload or data: URI\)<\/td><td>yes<\/td>/);
    // Two rules (`>` and `<`) share the aspect-ratio message; it is shown once.
    assert.equal(body.split('The aspect ratio range should be 1:2 to 2:1').length - 1, 1);
    // The example body holds the required inputs.
    assert.ok(body.includes(`-d '{&#34;promptText&#34;:&#34;&#34;,&#34;promptImage&#34;:&#34;&#34;}'`), body);
  });

  test('an unknown model: 404001 in the envelope', async () => {
    for (const url of ['/models/acme/no-such-model', '/models/', `/models/${MODELS.runway}/extra`]) {
      const res = await h.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error_code, 404001, url);
    }
  });

  test('catalog text is escaped, and the page may run no script', async () => {
    const file = JSON.parse(readFileSync(join(CATALOG_DIR, 'dreamina-4-0-text-to-image.json'), 'utf8')) as CatalogFile;
    const hostile: CatalogFile = { ...file, display_name: '<script>alert(1)</script>', description: 'a & b <img src=x onerror=alert(1)>' };
    const dir = tempDir();
    const ctx = await createContext(testConfig(dir.path), { catalog: new Catalog([hostile]), engines: { builtin: createTestEngine('builtin'), onnx: createTestEngine('onnx') } });
    const app = await buildApp(ctx);
    try {
      const res = await app.inject({ method: 'GET', url: `/models/${file.model_id}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(!res.body.includes('<script>') && !res.body.includes('<img'), res.body);
      assert.ok(res.body.includes('<h1>&#60;script&#62;alert(1)&#60;/script&#62;</h1>'));
      assert.ok(res.body.includes('a &#38; b &#60;img src=x onerror=alert(1)&#62;'));
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    } finally {
      await app.close();
      await ctx.close();
      dir.remove();
    }
  });
});
