#!/usr/bin/env python3
"""
Trains ModelGate's bundled text-to-image model, "tiny-shapes", on 2 CPU cores and exports it to
models/tiny-shapes/ in the folder layout Hugging Face Optimum's ONNX exporter writes (the same
names, dtypes and dynamic axes as training/make-tiny-sd-onnx.py, which cites the exporter), so
the onnx engine runs it like any exported Stable Diffusion model.

The domain is drawn by this script, on the fly, from a fixed seed: one or two flat-coloured
shapes (circle, square, triangle) of two sizes at five places, or two shapes side by side or one
above the other, on a plain or striped background, with a plain English caption:
  "a large red circle in the middle on a yellow background"
  "a small green square at the left on a striped orange background"
  "a blue square left of a green triangle on a white background"
Held out of training (never drawn, in any object of any image): 16 of the 168
(colour, shape, background colour) triples, and the exact captions of the evaluation prompts.
Both lists go into manifest.json; bench/t2i-adherence.ts scores the model on them.

Design (after ../shared/research/tiny-t2i-cpu-probe.md, which reached 100/100/100/64 % at 32×32;
the changes are the ones it names for shape):
- 64×64 pixels through a fixed, lossless 4×4 space-to-depth "VAE" (image 3×64×64 ↔ latent
  48×16×16; the decoder is one DepthToSpace): the UNet's cost is the probe's, objects have 4× the
  pixels.
- Distinct shapes: a square's half side equals the circle's radius (same box; the corners add 27 %
  area), a triangle spans the same box apex up.
- Several aspect buckets (64×64, 80×48, 48×80, 96×48, 48×96): positions in attention come from
  sinusoids of normalised coordinates computed in the graph, not a learned table, so the model
  draws at the sizes the engine asks for at wide and tall aspects.
- Word-level tokenizer (ModelGateWordTokenizer in src/engines/onnx/tokenizer.ts), a 2-layer
  bidirectional transformer text encoder, a UNet 64/128/192 at 16/8/4 with cross-attention at
  every level and self-attention at 8 and 4, FiLM from time + pooled text.
- x0-prediction ("sample") on a discrete 1,000-step cosine schedule with log-SNR shifted by
  −2 ln 3 (written to scheduler_config.json as trained_betas, so DDIM with "trailing" spacing
  samples it exactly, clipping x0 to −1…1), each sample's loss weighted by min(SNR, 5) + 1 (v-
  prediction's weight, capped at low noise), ×5 on object cells, 10 % empty captions for
  classifier-free guidance, EMA weights exported. Why x0 and not v: a 4×4 space-to-depth latent
  has 48 values per cell and the UNet's first level 64 channels; v at low noise is nearly the
  noise itself, which the network would have to copy through that bottleneck cell by cell. A
  first run with v-prediction left that noise in every picture (v error 0.27 at t = 50 after
  2,791 steps; see docs/benchmarks.md).
- bf16 autocast for convolutions and matrix products (GroupNorm and softmax in fp32).

Budget: --steps optimiser steps (default 12,000, batch 32) or --minutes of wall time, whichever
comes first; the learning rate's cosine follows whichever is further along. Deterministic for a
given seed, step count and thread count.

Run (Debian: apt-get install python3-torch python3-onnx python3-numpy):
  /usr/bin/python3 training/train-tiny-shapes.py                 # the committed model, 55 min
  /usr/bin/python3 training/train-tiny-shapes.py --smoke --out /tmp/tiny-smoke   # a 1-minute check
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

# Idle OpenMP threads sleep instead of spinning: when another process takes one of the two cores,
# spinning threads made a step 10× slower here (passive: under 1×, measured).
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
SEED = 20261123

# ---------------------------------------------------------------- domain

COLOURS = {
    'red': (230, 30, 30), 'green': (30, 170, 60), 'blue': (40, 70, 220), 'yellow': (245, 215, 40),
    'orange': (245, 130, 20), 'purple': (140, 50, 180), 'white': (245, 245, 245), 'black': (20, 20, 20),
}
COLOUR_NAMES = list(COLOURS)
SHAPES = ['circle', 'square', 'triangle']
PLACES = {'middle': (0.5, 0.5), 'left': (0.25, 0.5), 'right': (0.75, 0.5), 'top': (0.5, 0.25), 'bottom': (0.5, 0.75)}
PLACE_PHRASES = {'middle': 'in the middle', 'left': 'at the left', 'right': 'at the right', 'top': 'at the top', 'bottom': 'at the bottom'}
# Two relations, as the probe: the first named object is always the left or the upper one, so the
# caption's word order alone binds each colour and shape to its side. The previous model had four
# ('right of', 'below' too) and put the colours in the wrong order in 78 % of two-object pictures.
RELATIONS = ['left of', 'above']
SIZES = {'small': 0.11, 'large': 0.22}  # radius (half side) as a share of the shorter side
PAIR_SIZE = 0.15  # 9.6 px radius at 64², 6 px apart: larger than 0.13, for shape (the probe's advice)
STRIPE_SHARE = 0.25  # share of training backgrounds that are striped
# (width, height) buckets and how often each is drawn.
BUCKETS = [((64, 64), 0.5), ((80, 48), 0.15), ((48, 80), 0.15), ((96, 48), 0.1), ((48, 96), 0.1)]
VOCAB_WORDS = sorted({'a', 'an', 'the', 'in', 'at', 'on', 'of', 'background', 'striped', 'small', 'large', 'middle',
                      'left', 'right', 'top', 'bottom', 'above', *COLOUR_NAMES, *SHAPES})
SPECIAL = ['<pad>', '<bos>', '<eos>', '<unk>']
VOCAB = {token: i for i, token in enumerate(SPECIAL + VOCAB_WORDS)}
MAX_LENGTH = 16


def tokenize(caption):
    """As WordTokenizer.encode: lower-case words, [BOS] ids [EOS], padded/truncated to MAX_LENGTH."""
    ids = [VOCAB.get(w, VOCAB['<unk>']) for w in caption.lower().split()][: MAX_LENGTH - 2]
    ids = [VOCAB['<bos>']] + ids + [VOCAB['<eos>']]
    return ids + [VOCAB['<pad>']] * (MAX_LENGTH - len(ids))


def holdout_triples(rng):
    triples = [(c, s, b) for c in COLOUR_NAMES for s in SHAPES for b in COLOUR_NAMES if c != b]
    rng.shuffle(triples)
    return sorted(triples[:16])


def article(word):
    return ('an ' if word[0] in 'aeiou' else 'a ') + word


def caption_of(scene):
    bg = article(('striped ' if scene['striped'] else '') + scene['background'])
    objs = scene['objects']
    if len(objs) == 1:
        o = objs[0]
        return f"a {o['size']} {o['colour']} {o['shape']} {PLACE_PHRASES[o['place']]} on {bg} background"
    a, b = objs
    return f"{article(a['colour'])} {a['shape']} {scene['relation']} {article(b['colour'])} {b['shape']} on {bg} background"


def random_scene(rng, held_out, allow_held_out):
    """A scene description; objects never use a held-out triple unless allow_held_out."""
    while True:
        background = rng.choice(COLOUR_NAMES)
        striped = rng.random() < STRIPE_SHARE
        count = 1 if rng.random() < 0.5 else 2
        colours = rng.sample([c for c in COLOUR_NAMES if c != background], count)
        objects = []
        for colour in colours:
            shape = rng.choice(SHAPES)
            objects.append({'colour': colour, 'shape': shape})
        if not allow_held_out and any((o['colour'], o['shape'], background) in held_out for o in objects):
            continue
        scene = {'background': background, 'striped': striped, 'objects': objects}
        if count == 1:
            objects[0]['size'] = rng.choice(list(SIZES))
            objects[0]['place'] = rng.choice(list(PLACES))
        else:
            scene['relation'] = rng.choice(RELATIONS)
        return scene


def object_boxes(scene, width, height, jitter):
    """(cx, cy, r) in pixels per object, in caption order."""
    short = min(width, height)
    objs = scene['objects']
    if len(objs) == 1:
        fx, fy = PLACES[objs[0]['place']]
        return [(fx * width + jitter[0], fy * height + jitter[1], SIZES[objs[0]['size']] * short)]
    r = PAIR_SIZE * short
    # The first named object is left of / right of / above / below the second.
    first, second = {'left of': ((0.3, 0.5), (0.7, 0.5)), 'above': ((0.5, 0.3), (0.5, 0.7))}[scene['relation']]
    return [(first[0] * width + jitter[0], first[1] * height + jitter[1], r),
            (second[0] * width + jitter[2], second[1] * height + jitter[3], r)]


def shade(rgb):
    """The stripe colour: 12 % of the way to white (dark colours) or black (light ones)."""
    target = 255 if sum(rgb) < 380 else 0
    return tuple(c + 0.12 * (target - c) for c in rgb)


def render(scenes, jitters, width, height):
    """Draws scenes at width×height, all at once. Each object's coverage of a pixel is
    clamp(0.5 − d, 0, 1) for d its signed distance from the pixel centre to the outline (an
    anti-aliased edge about one pixel wide, without supersampling); flat colours are blended by it.
    Returns images in −1…1 [B,3,H,W] and object coverage [B,1,H,W]. NumPy, single-threaded: these
    small element-wise passes are slower through torch's thread pool."""
    n = len(scenes)
    Y = (np.arange(height, dtype=np.float32) + 0.5)[None, :, None]
    X = (np.arange(width, dtype=np.float32) + 0.5)[None, None, :]
    # Diagonal stripes, 2 px of shade every 6 (phase measured at the pixel centre).
    stripes = (((X + Y) % 6.0) < 2.0).astype(np.float32)[:, None]
    base = np.array([COLOURS[s['background']] for s in scenes], dtype=np.float32)[:, :, None, None]
    other = np.array([shade(COLOURS[s['background']]) if s['striped'] else COLOURS[s['background']] for s in scenes],
                     dtype=np.float32)[:, :, None, None]
    image = base * (1 - stripes) + other * stripes
    cover = np.zeros((n, 1, height, width), dtype=np.float32)
    for slot in range(2):
        rows = [i for i, s in enumerate(scenes) if len(s['objects']) > slot]
        if not rows:
            continue
        boxes = [object_boxes(scenes[i], width, height, jitters[i])[slot] for i in rows]
        cx, cy, r = (np.array([b[k] for b in boxes], dtype=np.float32)[:, None, None] for k in range(3))
        kind = np.array([SHAPES.index(scenes[i]['objects'][slot]['shape']) for i in rows])[:, None, None]
        dx, dy = np.abs(X - cx), Y - cy
        circle = np.sqrt(dx * dx + dy * dy) - r
        square = np.maximum(dx, np.abs(dy)) - r
        # Apex at (cx, cy − r), base from cx − r to cx + r at cy + r: the base line and the two sides.
        triangle = np.maximum(dy - r, (2 * dx - dy - r) / math.sqrt(5))
        distance = np.where(kind == 0, circle, np.where(kind == 1, square, triangle))
        alpha = np.clip(0.5 - distance, 0, 1)[:, None]
        colour = np.array([COLOURS[scenes[i]['objects'][slot]['colour']] for i in rows], dtype=np.float32)[:, :, None, None]
        image[rows] = image[rows] * (1 - alpha) + colour * alpha
        cover[rows] = np.maximum(cover[rows], alpha)
    return torch.from_numpy(image / 127.5 - 1), torch.from_numpy(cover)


# ---------------------------------------------------------------- schedule

def cosine_alphas_cumprod(steps=1000, shift=-2 * math.log(3)):
    """alpha_bar at t = (i + 1)/steps of the cosine schedule with its log-SNR shifted by `shift`,
    expressed as betas (what scheduler_config.json carries) and their cumulative product."""
    t = (np.arange(steps, dtype=np.float64) + 1) / steps
    logsnr = -2 * np.log(np.tan(np.clip(t, 0, 1 - 1e-6) * math.pi / 2)) + shift
    logsnr = np.clip(logsnr, -20, 20)
    alpha_bar = 1 / (1 + np.exp(-logsnr))
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    betas = np.clip(1 - alpha_bar / prev, 0, 0.9999)
    return betas, np.cumprod(1 - betas)


# ---------------------------------------------------------------- model

WIDTH = 128  # text width


class TextLayer(nn.Module):
    """A pre-norm transformer layer, written out (nn.TransformerEncoderLayer's fused path does not
    export to ONNX)."""

    def __init__(self, heads=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.norm2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(), nn.Linear(4 * WIDTH, WIDTH))

    def forward(self, x):
        b, n, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        weights = torch.softmax((torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)).float(), dim=-1).to(v.dtype)
        x = x + self.proj(torch.matmul(weights, v).transpose(1, 2).reshape(b, n, c))
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(len(VOCAB), WIDTH)
        self.position = nn.Parameter(torch.randn(MAX_LENGTH, WIDTH) * 0.02)
        self.layers = nn.ModuleList([TextLayer() for _ in range(2)])
        self.norm = nn.LayerNorm(WIDTH)

    def forward(self, input_ids):
        h = self.embed(input_ids) + self.position[: input_ids.shape[1]]
        for layer in self.layers:
            h = layer(h)
        h = self.norm(h.float())
        return h, h.mean(dim=1)


def sinusoids(values, count):
    """[N] → [N, 2·count] features sin/cos(π·k·v), k = 1…count."""
    k = torch.arange(1, count + 1, dtype=torch.float32)
    args = values[:, None] * k[None, :] * math.pi
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def position_features(h, w, count=6):
    """[1, 4·count, h, w]: sinusoids of the normalised row and column coordinates (0…1, cell centres)."""
    ys = (torch.arange(h).float() + 0.5) / h
    xs = (torch.arange(w).float() + 0.5) / w
    fy = sinusoids(ys, count).t()[:, :, None].expand(-1, -1, w)
    fx = sinusoids(xs, count).t()[:, None, :].expand(-1, h, -1)
    return torch.cat([fy, fx], dim=0)[None]


def group_norm(channels):
    return nn.GroupNorm(8, channels)


class GroupNorm32(nn.Module):
    """GroupNorm run in fp32 under bf16 autocast."""

    def __init__(self, channels):
        super().__init__()
        self.norm = group_norm(channels)

    def forward(self, x):
        return self.norm(x.float())


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cond):
        super().__init__()
        self.norm1 = GroupNorm32(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(cond, 2 * cout)
        self.norm2 = GroupNorm32(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(F.silu(h))


class Attention(nn.Module):
    """Attention kept in NCHW: queries (and, for self-attention, keys/values) come from 1×1
    convolutions of the normalised map plus its position features; cross-attention keys/values
    from the text tokens."""

    def __init__(self, channels, context, heads=4, pos_features=24):
        super().__init__()
        self.heads = heads
        self.context = context
        self.norm = GroupNorm32(channels)
        self.pos = nn.Conv2d(pos_features, channels, 1)
        self.q = nn.Conv2d(channels, channels, 1)
        if context:
            self.k = nn.Linear(WIDTH, channels)
            self.v = nn.Linear(WIDTH, channels)
        else:
            self.k = nn.Conv2d(channels, channels, 1)
            self.v = nn.Conv2d(channels, channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, text, pos):
        b, c, h, w = x.shape
        d = c // self.heads
        n = self.norm(x) + self.pos(pos)
        q = self.q(n).reshape(b, self.heads, d, h * w)
        if self.context:
            k = self.k(text).transpose(1, 2).reshape(b, self.heads, d, -1)
            v = self.v(text).transpose(1, 2).reshape(b, self.heads, d, -1)
        else:
            k = self.k(n).reshape(b, self.heads, d, h * w)
            v = self.v(n).reshape(b, self.heads, d, h * w)
        logits = torch.matmul(q.transpose(2, 3), k) / math.sqrt(d)  # [b, heads, hw, L]
        weights = torch.softmax(logits.float(), dim=-1).to(v.dtype)
        out = torch.matmul(v, weights.transpose(2, 3))  # [b, heads, d, hw]
        return x + self.out(out.reshape(b, c, h, w))


def timestep_embedding(t, dim=128):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


LATENT = 48  # 3 × 4 × 4
CH = (64, 128, 192)
COND = 256


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        c0, c1, c2 = CH
        self.time = nn.Sequential(nn.Linear(128, COND), nn.SiLU(), nn.Linear(COND, COND))
        self.text = nn.Linear(WIDTH, COND)
        self.conv_in = nn.Conv2d(LATENT, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, COND)
        self.d0x = Attention(c0, True)
        self.down0 = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.d1 = ResBlock(c1, c1, COND)
        self.d1s = Attention(c1, False)
        self.d1x = Attention(c1, True)
        self.down1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.m1 = ResBlock(c2, c2, COND)
        self.ms = Attention(c2, False)
        self.mx = Attention(c2, True)
        self.m2 = ResBlock(c2, c2, COND)
        self.u1 = ResBlock(c2 + c1, c1, COND)
        self.u1s = Attention(c1, False)
        self.u1x = Attention(c1, True)
        self.u0 = ResBlock(c1 + c0, c0, COND)
        self.u0x = Attention(c0, True)
        self.out_norm = GroupNorm32(c0)
        self.conv_out = nn.Conv2d(c0, LATENT, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, encoder_hidden_states):
        b, _, h, w = sample.shape
        # As diffusers' UNet2DConditionModel: a scalar timestep is broadcast to the batch.
        t = timestep.reshape(-1).expand(b)
        text = encoder_hidden_states
        cond = F.silu(self.time(timestep_embedding(t)) + self.text(text.mean(dim=1)))
        p0, p1, p2 = position_features(h, w), position_features(h // 2, w // 2), position_features(h // 4, w // 4)
        x0 = self.d0x(self.d0(self.conv_in(sample), cond), text, p0)
        x1 = self.d1x(self.d1s(self.d1(self.down0(x0), cond), text, p1), text, p1)
        m = self.down1(x1)
        m = self.m2(self.mx(self.ms(self.m1(m, cond), text, p2), text, p2), cond)
        u = F.interpolate(m, scale_factor=2.0, mode='nearest')
        u = self.u1x(self.u1s(self.u1(torch.cat([u, x1], dim=1), cond), text, p1), text, p1)
        u = F.interpolate(u, scale_factor=2.0, mode='nearest')
        u = self.u0x(self.u0(torch.cat([u, x0], dim=1), cond), text, p0)
        return self.conv_out(F.silu(self.out_norm(u))).float()


class VaeDecoder(nn.Module):
    """The fixed 4×4 depth-to-space: latent 48×h×w → image 3×4h×4w, clamped to −1…1."""

    def forward(self, latent_sample):
        return torch.clamp(F.pixel_shuffle(latent_sample, 4), -1.0, 1.0)


# ---------------------------------------------------------------- training

class Batches:
    """Seeded scene batches; the eval captions are never drawn."""

    def __init__(self, seed, held_out, excluded_captions, batch):
        self.rng = random.Random(seed)
        self.held_out = set(held_out)
        self.excluded = excluded_captions
        self.batch = batch

    def next(self):
        (width, height) = self.rng.choices([b for b, _ in BUCKETS], weights=[w for _, w in BUCKETS])[0]
        scenes, jitters, captions = [], [], []
        while len(scenes) < self.batch:
            scene = random_scene(self.rng, self.held_out, False)
            caption = caption_of(scene)
            if caption in self.excluded:
                continue
            scenes.append(scene)
            jitters.append([self.rng.uniform(-1.5, 1.5) for _ in range(4)])
            captions.append('' if self.rng.random() < 0.1 else caption)
        image, cover = render(scenes, jitters, width, height)
        ids = torch.tensor([tokenize(c) if c else tokenize('') for c in captions], dtype=torch.int64)
        return image, cover, ids


def eval_prompts(rng, held_out):
    """160 prompts as the probe's: 64 one-object and 48 two-object with seen triples, 32 one-object
    and 16 two-object that use a held-out triple (for one of the two objects at least)."""
    out, seen = [], set()

    def take(count, objects, wants_held_out):
        made = 0
        while made < count:
            scene = random_scene(rng, held_out, True)
            if len(scene['objects']) != objects:
                continue
            uses = any((o['colour'], o['shape'], scene['background']) in held_out for o in scene['objects'])
            if uses != wants_held_out:
                continue
            caption = caption_of(scene)
            if caption in seen:
                continue
            seen.add(caption)
            out.append({'caption': caption, 'held_out': uses, **scene})
            made += 1

    take(64, 1, False)
    take(48, 2, False)
    take(32, 1, True)
    take(16, 2, True)
    return out


class CpuShare:
    """How much CPU other processes took since the last call, in cores: /proc/stat's busy time
    minus this process's own (/proc/self/stat). Linux only; elsewhere it reports 0."""

    def __init__(self):
        self.last = self._read()

    @staticmethod
    def _read():
        try:
            with open('/proc/stat') as f:
                fields = [int(v) for v in f.readline().split()[1:]]
            busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
            with open('/proc/self/stat') as f:
                own = f.read().rsplit(')', 1)[1].split()
            return busy, int(own[11]) + int(own[12]), time.time()  # utime + stime
        except (OSError, IndexError, ValueError):
            return None

    def others(self):
        now = self._read()
        if now is None or self.last is None:
            return 0.0
        (busy0, own0, t0), (busy1, own1, t1) = self.last, now
        self.last = now
        ticks = os.sysconf('SC_CLK_TCK')
        return max(0.0, ((busy1 - busy0) - (own1 - own0)) / ticks / max(t1 - t0, 1e-3))


def train(args):
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    rng = random.Random(SEED)
    held_out = holdout_triples(rng)
    held_set = {tuple(t) for t in held_out}
    evals = eval_prompts(random.Random(SEED + 1), held_set)
    excluded = {e['caption'] for e in evals}
    batches = Batches(SEED + 2, held_set, excluded, args.batch)
    betas, alphas_cumprod = cosine_alphas_cumprod()
    ab = torch.tensor(alphas_cumprod, dtype=torch.float32)

    text_encoder, unet = TextEncoder(), UNet()
    params = list(text_encoder.parameters()) + list(unet.parameters())
    ema = [p.detach().clone() for p in params]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    counts = {'text_encoder': sum(p.numel() for p in text_encoder.parameters()), 'unet': sum(p.numel() for p in unet.parameters())}
    print(f'parameters: {counts}', file=sys.stderr)

    start = time.time()
    log, step, losses = [], 0, []
    # Two OpenMP threads meet at a barrier after every operation: when another process holds one
    # of the two cores, each barrier waits for the scheduler and a step took 5 s instead of 1.2 s
    # on one thread (measured here). So: one thread while others use more than 0.4 core.
    share, threads, thread_steps = CpuShare(), args.threads, {}
    budget_s = args.minutes * 60
    while True:
        elapsed = time.time() - start
        progress = max(step / args.steps, elapsed / budget_s)
        if progress >= 1:
            break
        warm = min(1.0, (step + 1) / 100)
        lr = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimiser.param_groups:
            group['lr'] = lr
        if step % 10 == 0 and args.threads > 1:
            want = 1 if share.others() > 0.4 else args.threads
            if want != threads:
                threads = want
                torch.set_num_threads(threads)
        thread_steps[threads] = thread_steps.get(threads, 0) + 1
        image, cover, ids = batches.next()
        x0 = F.pixel_unshuffle(image, 4)
        # Object cells (a 4×4 block with any object pixel), dilated by one cell, weigh 5×.
        objects = F.max_pool2d(F.max_pool2d((cover > 0.01).float(), 4), 3, stride=1, padding=1)
        weight = 1 + 4 * objects
        t = torch.randint(0, 1000, (x0.shape[0],))
        a = ab[t].sqrt()[:, None, None, None]
        s = (1 - ab[t]).sqrt()[:, None, None, None]
        noise = torch.randn_like(x0)
        xt = a * x0 + s * noise
        snr = ab[t] / (1 - ab[t])
        weight = weight * (snr.clamp(max=5) + 1)[:, None, None, None]
        with torch.autocast('cpu', dtype=torch.bfloat16):
            hidden, _ = text_encoder(ids)
            pred = unet(xt, t.float(), hidden.float())
        loss = ((pred.float() - x0) ** 2 * weight).mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        with torch.no_grad():
            decay = min(args.ema, (1 + step) / (10 + step))
            torch._foreach_mul_(ema, decay)
            torch._foreach_add_(ema, [p.detach() for p in params], alpha=1 - decay)
        losses.append(loss.item())
        step += 1
        if step % 50 == 0 or step == 1:
            mean = sum(losses[-50:]) / len(losses[-50:])
            line = {'step': step, 'seconds': round(time.time() - start, 1), 'loss': round(mean, 5), 'lr': round(lr, 6), 'threads': threads}
            log.append(line)
            print(json.dumps(line), file=sys.stderr, flush=True)
    wall = time.time() - start
    with torch.no_grad():
        for p, e in zip(params, ema):
            p.copy_(e)
    return {
        'text_encoder': text_encoder, 'unet': unet, 'betas': betas, 'held_out': held_out, 'evals': evals,
        'steps': step, 'seconds': round(wall, 1), 'parameters': counts, 'log': log, 'thread_steps': thread_steps,
    }


# ---------------------------------------------------------------- export

OPSET = 14


def export(module, inputs, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, inputs, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)


def write_json(path, value, indent=2):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(value, f, indent=indent)
        f.write('\n')


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def export_all(out, result, args):
    text_encoder, unet = result['text_encoder'], result['unet']
    ids = torch.tensor([tokenize('a red circle in the middle on a blue background'), tokenize('')], dtype=torch.int64)
    export(_TextEncoderExport(text_encoder), (ids,), os.path.join(out, 'text_encoder', 'model.onnx'),
           ['input_ids'], ['last_hidden_state', 'pooler_output'],
           {'input_ids': {0: 'batch_size', 1: 'sequence_length'},
            'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'}, 'pooler_output': {0: 'batch_size'}})
    export(unet, (torch.randn(2, LATENT, 16, 16), torch.tensor(500.0), torch.randn(2, MAX_LENGTH, WIDTH)),
           os.path.join(out, 'unet', 'model.onnx'), ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
           {'sample': {0: 'batch_size', 2: 'height', 3: 'width'}, 'timestep': {},
            'encoder_hidden_states': {0: 'batch_size', 1: 'sequence_length'}, 'out_sample': {0: 'batch_size', 2: 'height', 3: 'width'}})
    export(VaeDecoder(), (torch.randn(1, LATENT, 16, 16),), os.path.join(out, 'vae_decoder', 'model.onnx'),
           ['latent_sample'], ['sample'],
           {'latent_sample': {0: 'batch_size', 2: 'latent_height', 3: 'latent_width'},
            'sample': {0: 'batch_size', 2: 'latent_height * 4', 3: 'latent_width * 4'}})

    special = {'bos_token': '<bos>', 'eos_token': '<eos>', 'pad_token': '<pad>', 'unk_token': '<unk>'}
    write_json(os.path.join(out, 'tokenizer', 'vocab.json'), VOCAB)
    write_json(os.path.join(out, 'tokenizer', 'special_tokens_map.json'), special)
    write_json(os.path.join(out, 'tokenizer', 'tokenizer_config.json'),
               {**special, 'tokenizer_class': 'ModelGateWordTokenizer', 'model_max_length': MAX_LENGTH, 'do_lower_case': True})
    write_json(os.path.join(out, 'model_index.json'), {
        '_class_name': 'ORTStableDiffusionPipeline', '_diffusers_version': '0.30.0', '_name': 'modelgate/tiny-shapes',
        'scheduler': ['diffusers', 'DDIMScheduler'], 'text_encoder': ['optimum', 'ORTModelTextEncoder'],
        'tokenizer': ['modelgate', 'ModelGateWordTokenizer'], 'unet': ['optimum', 'ORTModelUnet'],
        'vae_decoder': ['optimum', 'ORTModelVaeDecoder'], 'requires_safety_checker': False,
        'safety_checker': [None, None], 'feature_extractor': [None, None]})
    write_json(os.path.join(out, 'scheduler', 'scheduler_config.json'), {
        '_class_name': 'DDIMScheduler', 'num_train_timesteps': 1000, 'beta_schedule': 'linear',
        'beta_start': 0.0001, 'beta_end': 0.02,
        'trained_betas': [float(b) for b in result['betas']], 'prediction_type': 'sample',
        'timestep_spacing': 'trailing', 'steps_offset': 0, 'set_alpha_to_one': False, 'clip_sample': True,
        'clip_sample_range': 1.0})
    write_json(os.path.join(out, 'text_encoder', 'config.json'), {
        'architectures': ['ModelGateTextEncoder'], 'hidden_size': WIDTH, 'max_position_embeddings': MAX_LENGTH, 'vocab_size': len(VOCAB)})
    write_json(os.path.join(out, 'unet', 'config.json'), {
        '_class_name': 'UNet2DConditionModel', 'sample_size': 16, 'in_channels': LATENT, 'out_channels': LATENT,
        'block_out_channels': list(CH), 'cross_attention_dim': WIDTH})
    # Three entries: diffusers' vae_scale_factor = 2^(3 − 1) = 4 pixels per latent cell.
    write_json(os.path.join(out, 'vae_decoder', 'config.json'), {
        '_class_name': 'SpaceToDepthCodec', 'latent_channels': LATENT, 'block_out_channels': [3, 3, 3],
        'sample_size': 64, 'scaling_factor': 1.0})

    files = {}
    for folder, _, names in sorted(os.walk(out)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, out).replace(os.sep, '/')
            if rel != 'manifest.json':
                files[rel] = {'bytes': os.path.getsize(path), 'sha256': sha256(path)}
    write_json(os.path.join(out, 'manifest.json'), {
        'name': 'modelgate/tiny-shapes',
        'script': 'training/train-tiny-shapes.py',
        'command': ' '.join(['/usr/bin/python3', 'training/train-tiny-shapes.py'] + sys.argv[1:]),
        'seed': SEED, 'torch': torch.__version__, 'threads': args.threads, 'batch': args.batch,
        'steps': result['steps'], 'training_seconds': result['seconds'], 'parameters': result['parameters'],
        'steps_by_threads': {str(k): v for k, v in sorted(result['thread_steps'].items())},
        'native_size': [64, 64], 'buckets': [list(b) for b, _ in BUCKETS],
        'domain': {'colours': COLOURS, 'shapes': SHAPES, 'places': PLACES, 'relations': RELATIONS, 'sizes': SIZES,
                   'pair_size': PAIR_SIZE, 'striped_share': STRIPE_SHARE},
        'held_out_triples': [list(t) for t in result['held_out']],
        'eval_prompts': result['evals'],
        'loss_log': result['log'],
        'files': files,
    })


class _TextEncoderExport(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids):
        return self.encoder(input_ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'models', 'tiny-shapes'))
    parser.add_argument('--steps', type=int, default=12000)
    parser.add_argument('--minutes', type=float, default=55)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--ema', type=float, default=0.999)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--smoke', action='store_true', help='60 steps of batch 16: checks the script and the export, not a model')
    args = parser.parse_args()
    if args.smoke:
        args.steps, args.batch, args.ema = 60, 16, 0.9
    result = train(args)
    export_all(args.out, result, args)
    print(f"wrote {args.out}: {result['steps']} steps in {result['seconds']} s", file=sys.stderr)


if __name__ == '__main__':
    main()
