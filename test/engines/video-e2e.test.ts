/**
 * Image-to-video end to end with the REAL builtin engine (only onnx is replaced by the test
 * engine): the seed request with its promptImage as a data: URI is accepted, runs, reports
 * progress, and its output.video is an H.264 MP4 of the requested ratio and duration.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS, submitAndWait, tempDir } from '../support/harness.ts';
import { dataUri } from '../support/media.ts';
import { createTestEngine } from '../support/test-engine.ts';
import { probe, testPhoto, topLevelBoxes } from './video-helpers.ts';

describe('image-to-video through the API with the builtin engine', () => {
  let h: Harness;
  const dir = tempDir('modelgate-video-e2e-');
  before(async () => {
    h = await createHarness({ engines: { onnx: createTestEngine('onnx') } });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    dir.remove();
  });

  test('a data: URI promptImage → a 1280×768, 5 s, 120-frame H.264 MP4 at output.video', async () => {
    const png = join(dir.path, 'photo.png');
    await testPhoto(png, 800, 600);
    const progressSeen = new Set<number>();
    const result = await submitAndWait(
      h,
      MODELS.runway,
      { promptText: 'The camera slowly pans left across the field', promptImage: dataUri(readFileSync(png)), ratio: '1280:768', duration: 5, seed: 42 },
      { timeoutMs: 90_000, intervalMs: 100, onProgress: (p) => progressSeen.add(p) },
    );
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const video = await h.app.inject({ method: 'GET', url: new URL(result.output.video).pathname });
    assert.equal(video.statusCode, 200);
    assert.match(String(video.headers['content-type']), /^video\/mp4/);
    const out = join(dir.path, 'out.mp4');
    writeFileSync(out, video.rawPayload);
    const p = await probe(out);
    assert.deepEqual([p.codec, p.pixFmt, p.width, p.height, p.packets], ['h264', 'yuv420p', 1280, 768, 120]);
    assert.ok(Math.abs(p.duration - 5) < 1e-3, `duration ${p.duration}`);
    const boxes = topLevelBoxes(video.rawPayload);
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(' '));
    console.log(`# progress values seen while polling: ${[...progressSeen].map((v) => v.toFixed(2)).join(' ')}`);
  });
});
