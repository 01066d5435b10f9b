import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/harness.ts';

describe('configuration', () => {
  test('defaults: 127.0.0.1:8080, ./data, public URL from host and port, builtin and onnx engines', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.match(config.dataDir, /[/\\]data$/);
    assert.equal(config.workers, 2);
    assert.deepEqual(Object.keys(config.engines).sort(), ['builtin', 'onnx']);
  });

  test('a wildcard bind address still yields a usable public URL; an explicit one loses its trailing slash', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl, 'http://127.0.0.1:9000');
    assert.equal(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl, 'http://[::1]:9000');
    assert.equal(loadConfig({ MODELGATE_PUBLIC_URL: 'https://gen.example.com/api/' }).publicUrl, 'https://gen.example.com/api');
  });

  const rejects = (env: Record<string, string>, setting: string) =>
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.message.includes(setting), `${JSON.stringify(env)} should name ${setting}`);

  test('every bad setting is an error that names it', () => {
    rejects({ PORT: 'abc' }, 'PORT');
    rejects({ PORT: '70000' }, 'PORT');
    rejects({ MODELGATE_WORKERS: '-1' }, 'MODELGATE_WORKERS');
    rejects({ MODELGATE_WORKERS: '1.5' }, 'MODELGATE_WORKERS');
    rejects({ MODELGATE_PUBLIC_URL: 'not a url' }, 'MODELGATE_PUBLIC_URL');
    rejects({ MODELGATE_PUBLIC_URL: 'ftp://x' }, 'MODELGATE_PUBLIC_URL');
    rejects({ MODELGATE_LOG_LEVEL: 'loud' }, 'MODELGATE_LOG_LEVEL');
    rejects({ MODELGATE_SQLITE_SYNCHRONOUS: 'OFF' }, 'MODELGATE_SQLITE_SYNCHRONOUS');
    rejects({ MODELGATE_CONFIG: '/nonexistent/modelgate.json' }, 'MODELGATE_CONFIG');
    rejects({ MODELGATE_DATABASE_TIMEOUT_MS: '500' }, 'MODELGATE_DATABASE_TIMEOUT_MS');
    rejects({ MODELGATE_REQUEST_TIMEOUT_MS: '0' }, 'MODELGATE_REQUEST_TIMEOUT_MS');
    rejects({ MODELGATE_S3_URL: 's3://bucket', MODELGATE_S3_TIMEOUT_MS: '10s' }, 'MODELGATE_S3_TIMEOUT_MS');
    rejects({ MODELGATE_S3_URL: 's3://bucket', MODELGATE_S3_TIMEOUT_MS: '999' }, 'MODELGATE_S3_TIMEOUT_MS');
    rejects({ MODELGATE_S3_TIMEOUT_MS: '5000' }, 'MODELGATE_S3_TIMEOUT_MS');
  });

  test('time limits: a request arrives within 300 s, a database statement or a silent bucket 30 s, unless set', () => {
    assert.equal(loadConfig({}).requestTimeoutMs, 300_000);
    assert.equal(loadConfig({ MODELGATE_REQUEST_TIMEOUT_MS: '20000' }).requestTimeoutMs, 20_000);
    assert.equal(loadConfig({}).databaseTimeoutMs, 30_000);
    assert.equal(loadConfig({ MODELGATE_DATABASE_TIMEOUT_MS: '5000' }).databaseTimeoutMs, 5_000);
    assert.equal(loadConfig({ MODELGATE_S3_URL: 's3://bucket' }).s3?.timeoutMs, 30_000);
    assert.equal(loadConfig({ MODELGATE_S3_URL: 's3://bucket', MODELGATE_S3_TIMEOUT_MS: '2500' }).s3?.timeoutMs, 2_500);
  });

  test('MODELGATE_CONFIG (JSON or YAML) adds engines and routes models; bad files name the problem', () => {
    const dir = tempDir();
    try {
      const json = join(dir.path, 'c.json');
      writeFileSync(json, JSON.stringify({ engines: { gpu: { type: 'comfyui', servers: ['http://127.0.0.1:8188'] } }, models: { 'ideogram/ideogram-v3/reframe': { engine: 'gpu' } } }));
      const config = loadConfig({ MODELGATE_CONFIG: json });
      assert.deepEqual(config.engines.gpu, { type: 'comfyui', servers: ['http://127.0.0.1:8188'] });
      assert.equal(config.models['ideogram/ideogram-v3/reframe']?.engine, 'gpu');

      const yaml = join(dir.path, 'c.yaml');
      writeFileSync(yaml, 'engines:\n  up:\n    type: upstream\nmodels:\n  bytedance/dreamina-4-0/text-to-image:\n    engine: up\n');
      assert.equal(loadConfig({ MODELGATE_CONFIG: yaml }).models['bytedance/dreamina-4-0/text-to-image']?.engine, 'up');

      const dangling = join(dir.path, 'dangling.json');
      writeFileSync(dangling, JSON.stringify({ models: { 'ideogram/ideogram-v3/reframe': { engine: 'missing' } } }));
      rejects({ MODELGATE_CONFIG: dangling }, 'engine "missing"');

      const typo = join(dir.path, 'typo.json');
      writeFileSync(typo, JSON.stringify({ engine: {} }));
      rejects({ MODELGATE_CONFIG: typo }, 'engine');

      const broken = join(dir.path, 'broken.json');
      writeFileSync(broken, '{');
      rejects({ MODELGATE_CONFIG: broken }, 'not valid JSON');
    } finally {
      dir.remove();
    }
  });
});

describe('engine routes', () => {
  test('a route for a model that is not in the catalog stops the start, naming it', async () => {
    const { EngineRegistry } = await import('../../src/engines/registry.ts');
    const { loadCatalog } = await import('../../src/catalog/catalog.ts');
    const { createLogger } = await import('../../src/logger.ts');
    const dir = tempDir();
    try {
      const file = join(dir.path, 'typo.json');
      writeFileSync(file, JSON.stringify({ models: { 'ideogram/ideogram-v3/refame': { engine: 'builtin' } } }));
      const config = loadConfig({ MODELGATE_CONFIG: file });
      await assert.rejects(EngineRegistry.create(config, loadCatalog(), createLogger('silent')), (error: unknown) => error instanceof ConfigError && error.message.includes('ideogram/ideogram-v3/refame'));
    } finally {
      dir.remove();
    }
  });
});
