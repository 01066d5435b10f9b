/** Reframe geometry: every catalog resolution parses, and every source is fitted whole and centred. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseResolution, placeSource, pyramidShapes } from '../../src/engines/builtin/reframe/geometry.ts';

const catalog = JSON.parse(readFileSync(new URL('../../catalog/ideogram-v3-reframe.json', import.meta.url), 'utf8'));
const RESOLUTIONS: string[] = catalog.input_schema.properties.resolution.enum;

describe('reframe geometry', () => {
  test('all 69 resolutions parse to their W × H', () => {
    assert.equal(RESOLUTIONS.length, 69);
    for (const value of RESOLUTIONS) {
      const { width, height } = parseResolution(value);
      assert.equal(`${width}:${height}`, value.split(' ')[0]);
    }
  });

  test('the source fits inside without cropping, touches two opposite edges, and is centred', () => {
    for (const value of RESOLUTIONS) {
      const { width, height } = parseResolution(value);
      for (const [sw, sh] of [[1024, 1024], [4000, 1000], [333, 777], [1, 1], [5, 4000]]) {
        const { rect } = placeSource(sw!, sh!, width, height);
        assert.ok(rect.x0 >= 0 && rect.y0 >= 0 && rect.x1 <= width && rect.y1 <= height, `${value} ${sw}×${sh}`);
        assert.ok((rect.x0 === 0 && rect.x1 === width) || (rect.y0 === 0 && rect.y1 === height), `${value} ${sw}×${sh} touches two edges`);
        assert.ok(Math.abs(rect.x0 - (width - rect.x1)) <= 1 && Math.abs(rect.y0 - (height - rect.y1)) <= 1, 'centred');
        const scale = (rect.x1 - rect.x0) / sw!;
        assert.ok(Math.abs((rect.y1 - rect.y0) / sh! - scale) < 1.5 / Math.min(sw!, sh!) + 1 / (rect.y1 - rect.y0), `${value} ${sw}×${sh} keeps the aspect`);
      }
    }
  });

  test('the pyramid halves down to the coarsest size but keeps whole patches in the known rectangle', () => {
    const shapes = pyramidShapes(placeSource(1024, 1024, 1536, 640), 96, 9);
    assert.deepEqual(shapes.map((s) => s.width), [1536, 768, 384, 192, 96]);
    assert.deepEqual(shapes.at(-1)!.rect, { x0: 28, y0: 0, x1: 68, y1: 40 });
    const thin = pyramidShapes(placeSource(4000, 40, 1536, 512), 96, 9);
    assert.ok(thin.every((s) => s.rect.y1 - s.rect.y0 >= 9));
  });
});
