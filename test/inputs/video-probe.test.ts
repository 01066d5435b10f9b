/**
 * Videos through sniff + ffprobe, with every ffprobe this machine has (the system one on PATH
 * and the npm-shipped one): real MP4, WebM and MOV measured; an HLS playlist renamed .mp4
 * refused (research §4: unwhitelisted, ffprobe would read other local media files); a FIFO that
 * never delivers killed at the timeout; kinds not crossed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/inputs/errors.ts';
import { findFfprobe, probeVideo } from '../../src/inputs/probe-video.ts';
import { resolveFileInput, type ResolveOptions } from '../../src/inputs/resolve-file.ts';
import { dataUri, makeImage } from '../support/media.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const video = { kind: 'video' as const, rules: [] };
let dir: string;
let work: string;

function ffprobes(): Array<[string, string]> {
  const found: Array<[string, string]> = [['default', findFfprobe()]];
  try {
    const bundled = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path: string }).path;
    if (bundled !== found[0]![1]) found.push(['npm @ffprobe-installer', bundled]);
  } catch {
    // not installed for this platform
  }
  return found;
}

function uploadsOf(files: Record<string, string>): ResolveOptions['uploads'] {
  return async (value) => (files[value] ? { path: files[value]! } : undefined);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-video-'));
  work = join(dir, 'work');
  mkdirSync(work);
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [label, ffprobePath] of ffprobes()) {
  describe(`ffprobe: ${label}`, () => {
    it('measures MP4, WebM and MOV fixtures', async (t) => {
      const expected: Array<[string, string, number, number, number]> = [
        ['tiny-96x64-1.5s.mp4', 'video/mp4', 96, 64, 1.5],
        ['tiny-64x96-2s.webm', 'video/webm', 64, 96, 2],
        ['tiny-80x80-1s.mov', 'video/quicktime', 80, 80, 1],
      ];
      const uploads = uploadsOf(Object.fromEntries(expected.map(([name]) => [`upload:${name}`, join(FIXTURES, name)])));
      for (const [name, contentType, width, height, duration] of expected) {
        const file = await resolveFileInput(`upload:${name}`, video, { workDir: work, uploads, ffprobePath });
        assert.deepEqual([file.contentType, file.width, file.height, file.form], [contentType, width, height, 'upload']);
        assert.ok(Math.abs(file.durationSeconds! - duration) < 0.05, `${name}: ${file.durationSeconds}`);
        rmSync(file.path);
      }
      t.diagnostic(`${ffprobePath}: 3 containers measured`);
    });

    it('refuses an HLS playlist disguised as .mp4, in the sniffer and in ffprobe itself', async (t) => {
      const secret = join(dir, 'other-tenant.mp4');
      copyFileSync(join(FIXTURES, 'tiny-96x64-1.5s.mp4'), secret);
      const playlist = join(dir, `evil-${label.replace(/\W/g, '')}.mp4`);
      writeFileSync(playlist, `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.5,\n${secret}\n#EXT-X-ENDLIST\n`);
      const uploads = uploadsOf({ 'upload:evil': playlist });
      await assert.rejects(resolveFileInput('upload:evil', video, { workDir: work, uploads, ffprobePath }), (e: unknown) => e instanceof InputError && e.reason === 'bad_type' && e.details.sniffed === 'a playlist');
      // Even handed straight to the prober, the container whitelist stops it.
      await assert.rejects(probeVideo(playlist, { ffprobePath }), (e: unknown) => e instanceof InputError && e.reason === 'unreadable' && e.details.killed === false);
      // Control: without the whitelist, some ffprobe builds (Debian's 5.1) follow the playlist.
      let unguarded: string;
      try {
        unguarded = execFileSync(ffprobePath, ['-v', 'quiet', '-show_entries', 'format=format_name', '-of', 'csv=p=0', `file:${playlist}`], { encoding: 'utf8', timeout: 5000 }).trim();
      } catch {
        unguarded = 'refused';
      }
      t.diagnostic(`${label} ffprobe without -format_whitelist on the disguised playlist: ${unguarded === 'hls' ? 'READ the other file (format hls)' : unguarded}; with it: refused`);
    });

    it('kills a probe of a FIFO that never delivers at the timeout', async (t) => {
      const fifo = join(dir, `stuck-${label.replace(/\W/g, '')}.mp4`);
      execFileSync('mkfifo', [fifo]);
      const started = performance.now();
      await assert.rejects(probeVideo(fifo, { ffprobePath, timeoutMs: 500 }), (e: unknown) => e instanceof InputError && e.reason === 'unreadable' && e.details.killed === true);
      const ms = performance.now() - started;
      assert.ok(ms < 1500, `took ${ms} ms`);
      const left = execFileSync('ps', ['-eo', 'stat,args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(fifo));
      assert.deepEqual(left, [], 'no ffprobe (or zombie) left behind');
      t.diagnostic(`hung probe (timeout 500 ms) killed with SIGKILL after ${ms.toFixed(0)} ms`);
    });
  });
}

describe('video kinds and broken videos', () => {
  it('refuses an image where a video is wanted, a video where an image is wanted, and a truncated MP4', async () => {
    const png = await makeImage(20, 20, 'png');
    await assert.rejects(resolveFileInput(dataUri(png), video, { workDir: work }), (e: unknown) => e instanceof InputError && e.reason === 'bad_type');
    const mp4 = readFileSync(join(FIXTURES, 'tiny-96x64-1.5s.mp4'));
    await assert.rejects(resolveFileInput(dataUri(mp4, 'video/mp4'), { kind: 'image', rules: [] }, { workDir: work }), (e: unknown) => e instanceof InputError && e.reason === 'bad_type' && /but the file is a video/.test(e.message));
    await assert.rejects(resolveFileInput(dataUri(mp4.subarray(0, 300), 'video/mp4'), video, { workDir: work }), (e: unknown) => e instanceof InputError && e.reason === 'unreadable');
  });
});
