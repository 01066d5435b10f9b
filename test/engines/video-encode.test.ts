/**
 * Image-to-video through ffmpeg: the MP4 measured with ffprobe (H.264, yuv420p, exact size, frame
 * count and duration, faststart), colours true to the image, byte-identical for a seed, abort
 * that leaves no ffmpeg behind, ffmpeg's own words on failure, and the npm ffmpeg as fallback.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { EngineError } from '../../src/engines/engine.ts';
import { bundledFfmpeg, findFfmpeg } from '../../src/engines/builtin/video/find-ffmpeg.ts';
import { renderVideo, type RenderVideoOptions } from '../../src/engines/builtin/video/render-video.ts';
import { tempDir } from '../support/harness.ts';
import { probe, testPhoto, topLevelBoxes } from './video-helpers.ts';

function ffmpegChildren(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && comm.startsWith('ffmpeg') ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

describe('image-to-video: the encoded MP4', () => {
  const dir = tempDir('modelgate-video-');
  const photo = join(dir.path, 'photo.png');
  const portraitPhoto = join(dir.path, 'portrait.png');
  const render = (name: string, options: Partial<RenderVideoOptions>) =>
    renderVideo({ imagePath: photo, promptText: 'zoom in', width: 1280, height: 768, durationSeconds: 5, seed: 1, outPath: join(dir.path, name), signal: new AbortController().signal, ...options });
  before(async () => {
    await testPhoto(photo, 1200, 900);
    await testPhoto(portraitPhoto, 700, 1100);
  });
  after(() => dir.remove());

  test('1280:768 for 5 s: H.264 High, yuv420p, 1280×768, 120 frames at 24 fps, 5.000 s, BT.709, moov before mdat', async () => {
    const report = await render('landscape.mp4', { promptText: 'slow push in with drift' });
    const p = await probe(join(dir.path, 'landscape.mp4'));
    assert.deepEqual(
      { codec: p.codec, pixFmt: p.pixFmt, profile: p.profile, width: p.width, height: p.height, packets: p.packets, frames: p.frames, frameRate: p.frameRate, colorSpace: p.colorSpace },
      { codec: 'h264', pixFmt: 'yuv420p', profile: 'High', width: 1280, height: 768, packets: 120, frames: 120, frameRate: '24/1', colorSpace: 'bt709' },
    );
    assert.ok(Math.abs(p.duration - 5) < 1e-3, `duration ${p.duration}`);
    const boxes = topLevelBoxes(readFileSync(join(dir.path, 'landscape.mp4')));
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), `box order: ${boxes.join(' ')}`);
    assert.equal(report.frames, 120);
    console.log(`# 1280x768 5 s: ${report.description}; load ${report.timings.loadMs.toFixed(0)} ms, total ${report.timings.totalMs.toFixed(0)} ms`);
  });

  test('768:1280 for 10 s: 768×1280, 240 frames, 10.000 s, faststart', async () => {
    const out = join(dir.path, 'portrait.mp4');
    const report = await render('portrait.mp4', { imagePath: portraitPhoto, width: 768, height: 1280, durationSeconds: 10, promptText: 'pan up' });
    const p = await probe(out);
    assert.deepEqual([p.codec, p.pixFmt, p.width, p.height, p.packets, p.frames], ['h264', 'yuv420p', 768, 1280, 240, 240]);
    assert.ok(Math.abs(p.duration - 10) < 1e-3, `duration ${p.duration}`);
    const boxes = topLevelBoxes(readFileSync(out));
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(' '));
    console.log(`# 768x1280 10 s: ${report.description}; total ${report.timings.totalMs.toFixed(0)} ms`);
  });

  test('same input and seed → identical bytes, with frames rendered on threads or inline; another seed → another drift → other bytes', async () => {
    // A small frame keeps this quick; the bytes depend on the same code paths at any size.
    const small = { width: 320, height: 192, promptText: 'a quiet harbour' };
    await render('seed1.mp4', { ...small, seed: 1 });
    await render('seed1-inline.mp4', { ...small, seed: 1, renderThreads: 0 });
    await render('seed2.mp4', { ...small, seed: 2 });
    const one = readFileSync(join(dir.path, 'seed1.mp4'));
    assert.ok(one.equals(readFileSync(join(dir.path, 'seed1-inline.mp4'))));
    assert.ok(!one.equals(readFileSync(join(dir.path, 'seed2.mp4'))));
  });

  test('colours are true: the first frame of a static shot matches the cover-fitted image', async () => {
    await render('static.mp4', { width: 320, height: 192, promptText: 'static camera' });
    const frame = execFileSync(findFfmpeg().path, ['-v', 'error', '-i', join(dir.path, 'static.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const truth = await sharp(photo).resize(320, 192, { fit: 'cover' }).raw().toBuffer();
    assert.equal(frame.length, truth.length);
    let error = 0;
    const bias = [0, 0, 0];
    for (let i = 0; i < truth.length; i++) {
      error += Math.abs(frame[i]! - truth[i]!);
      bias[i % 3]! += frame[i]! - truth[i]!;
    }
    const mean = error / truth.length;
    const biases = bias.map((b) => b / (truth.length / 3));
    console.log(`# static frame vs truth: mean |error| ${mean.toFixed(2)} levels, bias ${biases.map((b) => b.toFixed(2)).join(' ')}`);
    assert.ok(mean < 4, `mean error ${mean}`);
    assert.ok(biases.every((b) => Math.abs(b) < 2), `bias ${biases}`);
  });

  test('abort kills ffmpeg promptly and leaves no process behind', async () => {
    const controller = new AbortController();
    let seen: number[] = [];
    let abortedAt = 0;
    const running = render('aborted.mp4', {
      durationSeconds: 10,
      signal: controller.signal,
      progress: (fraction) => {
        if (fraction > 0.1 && !controller.signal.aborted) {
          seen = ffmpegChildren();
          abortedAt = Date.now();
          controller.abort(new Error('stop now'));
        }
      },
    });
    await assert.rejects(running, /stop now/);
    const took = Date.now() - abortedAt;
    assert.ok(took < 2000, `${took} ms from abort to rejection`);
    assert.ok(seen.length === 1, `ffmpeg children while running: ${seen.join(', ')}`);
    assert.deepEqual(ffmpegChildren(), []);
    assert.throws(() => process.kill(seen[0]!, 0), { code: 'ESRCH' });
    console.log(`# abort → rejected with ffmpeg gone ${took} ms after the abort`);
  });

  test('an abort before the start spawns nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('never mind'));
    await assert.rejects(render('never.mp4', { signal: controller.signal }), /never mind/);
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('an ffmpeg failure is an EngineError carrying the tail of its stderr, the work folder redacted', async () => {
    const fake = join(dir.path, 'fake-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nfor last; do :; done\necho "Unknown encoder while writing $last" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    const failure = await render('fails.mp4', { ffmpegPath: fake, width: 320, height: 192, redact: dir.path }).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof EngineError, String(failure));
    assert.equal(failure.type, 'encoder_failed');
    assert.match(failure.message, /^ffmpeg exited with code 3 while encoding the video: Unknown encoder while writing file:<work>\/fails\.mp4$/);
    const missing = await render('missing.mp4', { ffmpegPath: join(dir.path, 'no-such-ffmpeg'), width: 320, height: 192 }).then(() => undefined, (error: unknown) => error);
    assert.ok(missing instanceof EngineError && missing.type === 'engine_unavailable' && /could not be started/.test(missing.message), String(missing));
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('ffmpeg is found via MODELGATE_FFMPEG, then PATH, then @ffmpeg-installer/ffmpeg, whose binary makes the same kind of file', async () => {
    const bundled = bundledFfmpeg();
    assert.ok(bundled, '@ffmpeg-installer/ffmpeg is installed with its binary');
    assert.deepEqual(findFfmpeg({ MODELGATE_FFMPEG: '/opt/ffmpeg', PATH: '/usr/bin' }), { path: '/opt/ffmpeg', source: 'MODELGATE_FFMPEG' });
    assert.deepEqual(findFfmpeg({ PATH: '/nonexistent' }), { path: bundled, source: '@ffmpeg-installer/ffmpeg' });
    const previous = process.env.MODELGATE_FFMPEG;
    process.env.MODELGATE_FFMPEG = bundled;
    try {
      const report = await render('npm-ffmpeg.mp4', { width: 320, height: 192, promptText: 'pan right' });
      assert.equal(report.ffmpegPath, bundled);
    } finally {
      if (previous === undefined) delete process.env.MODELGATE_FFMPEG;
      else process.env.MODELGATE_FFMPEG = previous;
    }
    const p = await probe(join(dir.path, 'npm-ffmpeg.mp4'));
    assert.deepEqual([p.codec, p.pixFmt, p.width, p.height, p.packets], ['h264', 'yuv420p', 320, 192, 120]);
    assert.ok(Math.abs(p.duration - 5) < 1e-3);
    const boxes = topLevelBoxes(readFileSync(join(dir.path, 'npm-ffmpeg.mp4')));
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(' '));
  });
});
