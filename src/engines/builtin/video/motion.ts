/**
 * Which camera move a prompt asks for. The text is read for camera words only (everything else
 * in the prompt describes content this engine cannot animate): a zoom direction, a pan/tilt
 * direction, drift, a static camera, and a speed. Each component is taken from its first mention,
 * so "zoom in, then pan left" zooms in and pans left together; a prompt that names no camera move
 * gets the default, a gentle push-in with a slight seeded drift.
 */

export type ZoomDirection = 'in' | 'out' | 'none';
export type Speed = 'slow' | 'normal' | 'fast';
/** -1: towards left/top, +1: towards right/bottom (the direction the view travels). */
export type Axis = -1 | 0 | 1;

export interface Motion {
  zoom: ZoomDirection;
  panX: Axis;
  panY: Axis;
  /** A small seeded translation on top of the move (the "slight drift" of a push-in). */
  drift: boolean;
  /** No movement at all. */
  still: boolean;
  speed: Speed;
  /** True when the prompt named no camera move and the default was used. */
  defaulted: boolean;
  /** The phrases that decided it, in prompt order (for the log and the tests). */
  matched: string[];
}

interface Rule {
  pattern: RegExp;
  apply(motion: Motion, pick: () => number): void;
}

/** A verb and its inflections: pan → pans, panned, panning; move → moves, moved, moving. */
const V = (stem: string) => (stem.endsWith('e') ? `${stem.slice(0, -1)}(?:e|es|ed|ing)` : `${stem}(?:s|es|ed|ing|${stem.at(-1)}ed|${stem.at(-1)}ing)?`);
const MOVE = `(?:${['pan', 'truck', 'track', 'slide', 'sweep', 'move', 'glide', 'tilt', 'crane', 'boom', 'pedestal'].map(V).join('|')})`;
const TO = '(?: (?:to|towards?) the| to| towards?)?';

/** Applied in order of first appearance in the prompt; each component is set once. */
const RULES: Rule[] = [
  { pattern: /\b(?:static|still|fixed|locked(?: off)?|stationary) (?:camera|shot|frame)\b|\bno camera (?:movement|motion|move)\b|\bcamera (?:is |stays |remains )?(?:still|static)\b|\blocked off\b|\btripod\b/, apply: (m) => { m.still = true; } },
  { pattern: new RegExp(`\\b(?:${V('zoom')}|${V('push')}|${V('dolly')}|dollies|${V('move')}|${V('creep')}|${V('close')}) (?:in|into|inwards?|closer)\\b`), apply: (m) => { if (m.zoom === 'none') m.zoom = 'in'; } },
  { pattern: new RegExp(`\\b(?:${V('zoom')}) (?:out|outwards?|back)\\b|\\b(?:${V('pull')}|${V('dolly')}|dollies|${V('move')}|${V('back')}) (?:out|back|away)\\b|\\b${V('widen')}\\b`), apply: (m) => { if (m.zoom === 'none') m.zoom = 'out'; } },
  { pattern: new RegExp(`\\b${MOVE}${TO} left(?:wards?)?\\b`), apply: (m) => { if (m.panX === 0) m.panX = -1; } },
  { pattern: new RegExp(`\\b${MOVE}${TO} right(?:wards?)?\\b`), apply: (m) => { if (m.panX === 0) m.panX = 1; } },
  { pattern: new RegExp(`\\b${MOVE}${TO} (?:up|upwards?|skywards?)\\b`), apply: (m) => { if (m.panY === 0) m.panY = -1; } },
  { pattern: new RegExp(`\\b${MOVE}${TO} (?:down|downwards?)\\b`), apply: (m) => { if (m.panY === 0) m.panY = 1; } },
  { pattern: new RegExp(`\\b(?:${V('drift')}|${V('float')}|handheld|hand held|${V('sway')}|${V('hover')})\\b`), apply: (m) => { m.drift = true; } },
  // Bare verbs last in the list, but still by position: "pan" with no direction goes left or right by seed.
  { pattern: new RegExp(`\\b${V('zoom')}\\b`), apply: (m) => { if (m.zoom === 'none') m.zoom = 'in'; } },
  { pattern: new RegExp(`\\b(?:${V('pan')}|tracking shot|trucking shot)\\b`), apply: (m, pick) => { if (m.panX === 0 && m.panY === 0) m.panX = pick() < 0.5 ? -1 : 1; } },
  { pattern: new RegExp(`\\b(?:${V('tilt')}|crane shot)\\b`), apply: (m, pick) => { if (m.panY === 0) m.panY = pick() < 0.5 ? -1 : 1; } },
];

const SLOW = /\b(?:slow|slowly|gentle|gently|subtle|subtly|soft|softly|calm|calmly|leisurely)\b/;
const FAST = /\b(?:fast|quick|quickly|rapid|rapidly|swift|swiftly|dramatic|dramatically|dynamic|energetic|whip)\b/;

function normalise(text: string): string {
  return ` ${text.toLowerCase().replace(/[^a-z]+/g, ' ').replace(/\s+/g, ' ').trim()} `;
}

/** Reads the camera move from a prompt; `pick` is the seeded random source for undirected moves. */
export function motionFromPrompt(promptText: string, pick: () => number = () => 0): Motion {
  const text = normalise(promptText);
  const motion: Motion = { zoom: 'none', panX: 0, panY: 0, drift: false, still: false, speed: 'normal', defaulted: false, matched: [] };
  const hits: { index: number; phrase: string; rule: Rule }[] = [];
  for (const rule of RULES) {
    const match = rule.pattern.exec(text);
    if (match) hits.push({ index: match.index, phrase: match[0].trim(), rule });
  }
  hits.sort((a, b) => a.index - b.index);
  // A phrase already claimed by an earlier, longer rule ("pan left") is not matched again as a bare verb ("pan").
  const claimed: [number, number][] = [];
  for (const hit of hits) {
    if (claimed.some(([start, end]) => hit.index >= start && hit.index < end)) continue;
    const before = JSON.stringify(motion);
    hit.rule.apply(motion, pick);
    if (JSON.stringify(motion) !== before) {
      motion.matched.push(hit.phrase);
      claimed.push([hit.index, hit.index + hit.phrase.length + 1]);
    }
  }
  const slow = SLOW.exec(text);
  const fast = FAST.exec(text);
  if (slow && (!fast || slow.index < fast.index)) motion.speed = 'slow';
  else if (fast) motion.speed = 'fast';

  if (motion.still) return { ...motion, zoom: 'none', panX: 0, panY: 0, drift: false };
  if (motion.zoom === 'none' && motion.panX === 0 && motion.panY === 0) {
    // No zoom or pan named (perhaps only "drift"): a push-in with a slight drift, gentle unless
    // the prompt asked for a speed.
    return { ...motion, zoom: 'in', drift: true, defaulted: motion.matched.length === 0, speed: slow || fast ? motion.speed : 'slow' };
  }
  return motion;
}

/** A short human description, e.g. "zoom in + pan left (slow)". */
export function describeMotion(motion: Motion): string {
  if (motion.still) return 'static camera';
  const parts: string[] = [];
  if (motion.zoom !== 'none') parts.push(`zoom ${motion.zoom}`);
  if (motion.panX !== 0) parts.push(`pan ${motion.panX < 0 ? 'left' : 'right'}`);
  if (motion.panY !== 0) parts.push(`tilt ${motion.panY < 0 ? 'up' : 'down'}`);
  if (motion.drift) parts.push('drift');
  return `${parts.join(' + ')} (${motion.speed})${motion.defaulted ? ' [default]' : ''}`;
}
