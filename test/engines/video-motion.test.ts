/**
 * Image-to-video, the pure parts: which camera move a prompt asks for (and the default), and the
 * camera path: every window inside the image, at the output's aspect, moving smoothly (eased, no
 * frame-to-frame jump), reproducible from the seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ease, planCamera, type CameraOptions } from '../../src/engines/builtin/video/camera.ts';
import { describeMotion, motionFromPrompt, type Motion } from '../../src/engines/builtin/video/motion.ts';
import { seededRandom } from '../../src/engines/builtin/video/random.ts';

const says = (prompt: string, pick?: () => number) => describeMotion(motionFromPrompt(prompt, pick));

describe('image-to-video: prompt → camera move', () => {
  const cases: [string, string][] = [
    ['zoom in on the face', 'zoom in (normal)'],
    ['The camera zooms into the forest', 'zoom in (normal)'],
    ['slow push-in on the lighthouse', 'zoom in (slow)'],
    ['dolly in', 'zoom in (normal)'],
    ['Zoom out to reveal the city', 'zoom out (normal)'],
    ['the camera pulls back slowly', 'zoom out (slow)'],
    ['pull out from the crowd', 'zoom out (normal)'],
    ['pan left across the valley', 'pan left (normal)'],
    ['Camera pans to the right', 'pan right (normal)'],
    ['truck left past the cars', 'pan left (normal)'],
    ['tracking right along the shore', 'pan right (normal)'],
    ['pan up to the sky', 'tilt up (normal)'],
    ['Tilt up to the sky', 'tilt up (normal)'],
    ['tilt down to the river', 'tilt down (normal)'],
    ['camera moving downward', 'tilt down (normal)'],
    ['crane up over the crowd', 'tilt up (normal)'],
    ['push in with slight drift', 'zoom in + drift (normal)'],
    ['quick zoom in while panning left', 'zoom in + pan left (fast)'],
    ['static camera, leaves rustle', 'static camera'],
    ['locked-off shot of a street', 'static camera'],
    ['fast zoom', 'zoom in (fast)'],
  ];
  for (const [prompt, expected] of cases) {
    test(`"${prompt}" → ${expected}`, () => assert.equal(says(prompt), expected));
  }

  test('a prompt that names no camera move gets the default: a gentle push-in with drift', () => {
    for (const prompt of ['', 'A cat sleeping on a sofa', 'a race track at dusk', 'sunrise over the mountains']) {
      const motion = motionFromPrompt(prompt);
      assert.equal(describeMotion(motion), 'zoom in + drift (slow) [default]', prompt);
      assert.equal(motion.defaulted, true);
      assert.deepEqual(motion.matched, []);
    }
    assert.equal(says('fast, energetic scene'), 'zoom in + drift (fast) [default]');
    assert.equal(says('clouds drifting'), 'zoom in + drift (slow)');
  });

  test('the first mention wins per component; a bare "pan" takes its direction from the seed', () => {
    assert.equal(says('zoom in, then zoom out'), 'zoom in (normal)');
    assert.equal(says('pan right then pan left'), 'pan right (normal)');
    assert.equal(says('pan across the beach', () => 0.2), 'pan left (normal)');
    assert.equal(says('pan across the beach', () => 0.8), 'pan right (normal)');
    assert.deepEqual(motionFromPrompt('Slowly zoom in while the camera pans left').matched, ['zoom in', 'pans left']);
  });
});

const OUT: [number, number][] = [[1280, 768], [768, 1280]];
const IMAGES: [number, number][] = [[1024, 1024], [4000, 2000], [600, 1199], [640, 480], [7999, 4001]];
const MOTIONS = ['zoom in', 'zoom out', 'pan left', 'pan right', 'tilt up', 'tilt down', 'fast zoom in while panning right and tilting down', 'push in with drift', 'a quiet harbour', 'static camera'];

function plan(prompt: string, image: [number, number], out: [number, number], durationSeconds: 5 | 10, seed: number) {
  const options: CameraOptions = { imageWidth: image[0], imageHeight: image[1], outWidth: out[0], outHeight: out[1], frames: durationSeconds * 24, durationSeconds, motion: motionFromPrompt(prompt, seededRandom(seed)), seed };
  return planCamera(options);
}

describe('image-to-video: the camera path', () => {
  test('ease is smoothstep: 0 → 1, at rest at both ends, never faster than 1.5× the mean', () => {
    assert.equal(ease(0), 0);
    assert.equal(ease(1), 1);
    assert.equal(ease(0.5), 0.5);
    for (let t = 0; t < 1; t += 0.01) assert.ok((ease(t + 0.01) - ease(t)) / 0.01 <= 1.5 + 1e-9);
  });

  test('every window lies inside the image at the output aspect; steps are small and smooth (all motions × ratios × image shapes × durations)', () => {
    let checked = 0;
    for (const out of OUT) for (const image of IMAGES) for (const prompt of MOTIONS) for (const duration of [5, 10] as const) {
      const path = plan(prompt, image, out, duration, 7);
      assert.equal(path.windows.length, duration * 24);
      let previous: { x: number; y: number; r: number; b: number } | undefined;
      let previousStep: number[] | undefined;
      for (const [i, w] of path.windows.entries()) {
        const where = `${prompt} ${image.join('x')}→${out.join('x')} ${duration}s frame ${i}`;
        assert.ok(w.x >= 0 && w.y >= 0 && w.x + w.width <= image[0] + 1e-6 && w.y + w.height <= image[1] + 1e-6, `outside: ${where} ${JSON.stringify(w)}`);
        assert.ok(Math.abs(w.width / w.height - out[0] / out[1]) < 1e-9, `aspect: ${where}`);
        // In output pixels: how far each edge moves between frames.
        const px = out[0] / w.width;
        const edges = { x: w.x * px, y: w.y * px, r: (w.x + w.width) * px, b: (w.y + w.height) * px };
        if (previous) {
          const step = [edges.x - previous.x, edges.y - previous.y, edges.r - previous.r, edges.b - previous.b];
          assert.ok(step.every((d) => Math.abs(d) <= 12), `jump of ${Math.max(...step.map(Math.abs)).toFixed(2)} px: ${where}`);
          if (previousStep) {
            const jerk = Math.max(...step.map((d, k) => Math.abs(d - previousStep![k]!)));
            assert.ok(jerk <= 0.4, `acceleration ${jerk.toFixed(3)} px/frame²: ${where}`);
          }
          if (i === 1 || i === path.windows.length - 1) assert.ok(step.every((d) => Math.abs(d) < 0.25), `not at rest at the ends: ${where}`);
          previousStep = step;
        }
        previous = edges;
        checked++;
      }
    }
    assert.ok(checked > 10_000);
  });

  test('zoom in shrinks the window, zoom out grows it; pans travel the named way; static does not move', () => {
    const image: [number, number] = [2000, 1500];
    const first = (p: string) => plan(p, image, [1280, 768], 5, 1).windows[0]!;
    const last = (p: string) => plan(p, image, [1280, 768], 5, 1).windows.at(-1)!;
    const centre = (w: { x: number; width: number; y: number; height: number }) => [w.x + w.width / 2, w.y + w.height / 2];
    assert.ok(last('zoom in').width < first('zoom in').width / 1.15);
    assert.ok(last('zoom out').width > first('zoom out').width * 1.15);
    assert.deepEqual(centre(last('zoom in')).map(Math.round), [1000, 750]);
    assert.ok(centre(last('pan left'))[0]! < centre(first('pan left'))[0]! - 100);
    assert.ok(centre(last('pan right'))[0]! > centre(first('pan right'))[0]! + 100);
    assert.ok(centre(last('tilt up'))[1]! < centre(first('tilt up'))[1]! - 50);
    assert.ok(centre(last('tilt down'))[1]! > centre(first('tilt down'))[1]! + 50);
    assert.deepEqual(first('static camera'), last('static camera'));
    // The full view is a cover fit: the frame is always full, and the widest window spans the image's width here.
    assert.equal(first('static camera').width, 2000);
  });

  test('the seed decides the drift: same seed → same path, another seed → another drift', () => {
    const a = plan('a quiet harbour', [3000, 2000], [1280, 768], 5, 1);
    const b = plan('a quiet harbour', [3000, 2000], [1280, 768], 5, 1);
    const c = plan('a quiet harbour', [3000, 2000], [1280, 768], 5, 2);
    assert.deepEqual(a, b);
    assert.notDeepEqual([a.shiftX, a.shiftY], [c.shiftX, c.shiftY]);
    const directions = new Set(Array.from({ length: 16 }, (_, seed) => {
      const p = plan('push in with drift', [3000, 2000], [1280, 768], 5, seed);
      return `${Math.sign(p.shiftX)},${Math.sign(p.shiftY)}`;
    }));
    assert.ok(directions.size >= 3, `drift directions over 16 seeds: ${[...directions].join(' ')}`);
    // Without drift, the seed changes nothing.
    assert.deepEqual(plan('zoom in', [3000, 2000], [1280, 768], 5, 1), plan('zoom in', [3000, 2000], [1280, 768], 5, 99));
  });
});

export type { Motion };
