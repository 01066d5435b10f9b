/**
 * The virtual camera: for each frame, the window of the source image that becomes that frame.
 * Windows always have the output's aspect ratio and always lie inside the image (the frame is
 * always full). The move is eased (smoothstep: starts and ends at rest) and continuous: windows
 * have fractional positions and sizes, resampled sub-pixel by the sampler, so nothing jitters.
 *
 * Geometry: the "full view" is the largest window of the output's aspect that fits the image
 * (a cover fit). Zoom z shows fullView / z. Panning needs room beside the window, so a pan starts
 * from a base zoom just large enough for its travel. The path is centred on the image; both ends
 * are inside the image at the largest window of the path, hence every frame between is too.
 */
import type { Motion, Speed } from './motion.ts';
import { seededRandom } from './random.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CameraOptions {
  imageWidth: number;
  imageHeight: number;
  outWidth: number;
  outHeight: number;
  frames: number;
  durationSeconds: number;
  motion: Motion;
  seed: number;
}

export interface CameraPath {
  /** One window per frame, in source-image pixels. */
  windows: Rect[];
  /** Full-view width over the smallest window's width: how far the path magnifies. */
  maxZoom: number;
  /** The travel as planned, for logs and tests: zoom at start and end, centre shift in pixels. */
  zoomStart: number;
  zoomEnd: number;
  shiftX: number;
  shiftY: number;
}

/** Zoom growth over a 5 s clip (×1.5 for 10 s): zoom in ends at 1 + this. */
export const ZOOM_AMOUNT: Record<Speed, number> = { slow: 0.1, normal: 0.18, fast: 0.3 };
/** Pan travel over a 5 s clip (×1.5 for 10 s), as a fraction of the window's width or height. */
export const PAN_AMOUNT: Record<Speed, number> = { slow: 0.12, normal: 0.22, fast: 0.3 };
/** Drift travel, as a fraction of the window, before the seeded factor (0.5–1). */
export const DRIFT_AMOUNT = 0.06;

/** Smoothstep: 0 → 1 with zero velocity at both ends; the largest speed is 1.5× the mean. */
export function ease(t: number): number {
  const c = Math.min(1, Math.max(0, t));
  return c * c * (3 - 2 * c);
}

export function planCamera(options: CameraOptions): CameraPath {
  const { imageWidth: iw, imageHeight: ih, outWidth, outHeight, frames, motion } = options;
  const aspect = outWidth / outHeight;
  const fullWidth = Math.min(iw, ih * aspect);
  const fullHeight = fullWidth / aspect;
  const length = options.durationSeconds >= 10 ? 1.5 : 1;
  const random = seededRandom(options.seed, 1);

  const growth = motion.still ? 0 : ZOOM_AMOUNT[motion.speed] * length;
  const [z0, z1] = motion.zoom === 'in' ? [1, 1 + growth] : motion.zoom === 'out' ? [1 + growth, 1] : [1, 1];

  // Travel in units of the largest window: the pan, plus a seeded drift.
  const pan = PAN_AMOUNT[motion.speed] * length;
  let tx = motion.panX * pan;
  let ty = motion.panY * pan;
  const angle = random() * 2 * Math.PI;
  const drift = DRIFT_AMOUNT * length * (0.5 + 0.5 * random());
  if (motion.drift) {
    tx += drift * Math.cos(angle);
    ty += drift * Math.sin(angle);
  }

  // The smallest base zoom that leaves room for the travel on each axis.
  const base = Math.max(1, ((1 + Math.abs(tx)) * fullWidth) / iw, ((1 + Math.abs(ty)) * fullHeight) / ih);
  const largestWidth = fullWidth / (base * Math.min(z0, z1));
  const largestHeight = largestWidth / aspect;
  const shiftX = tx * largestWidth;
  const shiftY = ty * largestHeight;

  const windows: Rect[] = [];
  for (let i = 0; i < frames; i++) {
    const e = ease(frames > 1 ? i / (frames - 1) : 0);
    // Zoom eased in log space, so the magnification rate feels even.
    const zoom = base * z0 * Math.pow(z1 / z0, e);
    const width = Math.min(iw, fullWidth / zoom);
    const height = Math.min(ih, width / aspect);
    const cx = iw / 2 + shiftX * (e - 0.5);
    const cy = ih / 2 + shiftY * (e - 0.5);
    windows.push({
      x: Math.min(iw - width, Math.max(0, cx - width / 2)),
      y: Math.min(ih - height, Math.max(0, cy - height / 2)),
      width,
      height,
    });
  }
  return { windows, maxZoom: base * Math.max(z0, z1), zoomStart: base * z0, zoomEnd: base * z1, shiftX, shiftY };
}
