#!/usr/bin/env python3
"""
Writes test/fixtures/tiny-sd-onnx/: a TINY, randomly initialised Stable Diffusion export in the
folder layout, file names, input/output names, dtypes and dynamic axes that Hugging Face Optimum's
ONNX exporter writes (optimum/exporters/onnx/model_configs.py: CLIPTextOnnxConfig, UNetOnnxConfig,
VaeDecoderOnnxConfig; optimum/utils/input_generators.py for the dummy dtypes). It draws nothing
meaningful: it exists so the tests prove that the real layout loads and runs end to end.

  text_encoder/model.onnx  input_ids int64 [batch_size, sequence_length]
                           -> last_hidden_state [batch_size, sequence_length, 32], pooler_output [batch_size, 32]
  unet/model.onnx          sample float [batch_size, 4, height, width], timestep float scalar (shape []),
                           encoder_hidden_states float [batch_size, sequence_length, 32] -> out_sample
  vae_decoder/model.onnx   latent_sample float [batch_size, 4, latent_height, latent_width]
                           -> sample [batch_size, 3, latent_height * 2, latent_width * 2]

Run: /usr/bin/python3 training/make-tiny-sd-onnx.py   (Debian: apt-get install python3-torch python3-onnx python3-numpy)
Deterministic (fixed seed); the files it writes are committed.
"""
import json
import math
import os
import sys

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'tiny-sd-onnx')
HIDDEN = 32
LATENT_CHANNELS = 4
SAMPLE_SIZE = 16  # latent side; the VAE doubles it, so the native image is 32x32
MAX_LENGTH = 77
OPSET = 14  # Optimum's DEFAULT_ONNX_OPSET for these three configs

torch.manual_seed(1234)


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_tokenizer(folder):
    """CLIP's vocabulary structure (byte symbols, byte symbols + </w>, one entry per merge, then the
    two special tokens) with a handful of merges instead of CLIP's 48,894."""
    symbols = bytes_to_unicode()
    vocab = symbols + [s + '</w>' for s in symbols]
    merges = []
    for word in ['red', 'blue', 'circle', 'square', 'photo', 'cat']:
        parts = list(word[:-1]) + [word[-1] + '</w>']
        while len(parts) > 1:
            merges.append(f'{parts[0]} {parts[1]}')
            parts = [parts[0] + parts[1]] + parts[2:]
            if parts[0] not in vocab:
                vocab.append(parts[0])
    vocab += ['<|startoftext|>', '<|endoftext|>']
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'vocab.json'), 'w', encoding='utf-8') as f:
        json.dump({token: i for i, token in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(folder, 'merges.txt'), 'w', encoding='utf-8') as f:
        f.write('#version: 0.2\n' + '\n'.join(merges) + '\n')
    special = {'bos_token': '<|startoftext|>', 'eos_token': '<|endoftext|>', 'pad_token': '<|endoftext|>', 'unk_token': '<|endoftext|>'}
    with open(os.path.join(folder, 'special_tokens_map.json'), 'w') as f:
        json.dump(special, f, indent=2)
    with open(os.path.join(folder, 'tokenizer_config.json'), 'w') as f:
        json.dump({**special, 'tokenizer_class': 'CLIPTokenizer', 'model_max_length': MAX_LENGTH, 'do_lower_case': True}, f, indent=2)
    return len(vocab)


class Attention(nn.Module):
    """Plain scaled dot-product attention (written out: torch's fused kernels do not export)."""

    def __init__(self, dim, context_dim, heads=2):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(context_dim, dim)
        self.v = nn.Linear(context_dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, context):
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(context).reshape(b, -1, h, d // h).transpose(1, 2)
        v = self.v(context).reshape(b, -1, h, d // h).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1)
        return self.out((weights @ v).transpose(1, 2).reshape(b, n, d))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, HIDDEN)
        self.position = nn.Parameter(torch.randn(MAX_LENGTH, HIDDEN) * 0.02)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.attn = Attention(HIDDEN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN)
        self.mlp = nn.Sequential(nn.Linear(HIDDEN, 64), nn.GELU(), nn.Linear(64, HIDDEN))
        self.norm = nn.LayerNorm(HIDDEN)

    def forward(self, input_ids):
        h = self.embed(input_ids) + self.position[: input_ids.shape[1]]
        n = self.norm1(h)
        h = h + self.attn(n, n)
        h = self.norm(h + self.mlp(self.norm2(h)))
        return h, h[:, -1]


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(HIDDEN, cout)
        self.norm2 = nn.GroupNorm(4, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(torch.nn.functional.silu(self.norm1(x)))
        h = h + self.time(temb)[:, :, None, None]
        h = self.conv2(torch.nn.functional.silu(self.norm2(h)))
        return self.skip(x) + h


class CrossAttention(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = nn.GroupNorm(4, channels)
        self.attn = Attention(channels, HIDDEN)

    def forward(self, x, context):
        b, c, h, w = x.shape
        q = self.norm(x).flatten(2).transpose(1, 2)
        out = self.attn(q, context)
        return x + out.transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.time = nn.Sequential(nn.Linear(HIDDEN, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN))
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, 16, 3, padding=1)
        self.down = ResBlock(16, 16)
        self.downsample = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.mid = ResBlock(16, 32)
        self.attn = CrossAttention(32)
        self.up = ResBlock(32 + 16, 16)
        self.conv_out = nn.Conv2d(16, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        # As diffusers' UNet2DConditionModel: the timestep is broadcast to the batch.
        t = timestep.reshape(-1).expand(sample.shape[0])
        temb = self.time(timestep_embedding(t, HIDDEN))
        h0 = self.down(self.conv_in(sample), temb)
        h = self.attn(self.mid(self.downsample(h0), temb), encoder_hidden_states)
        h = torch.nn.functional.interpolate(h, scale_factor=2.0, mode='nearest')
        return self.conv_out(self.up(torch.cat([h, h0], dim=1), temb))


class VaeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, 16, 3, padding=1)
        self.block = ResBlock(16, 16)
        self.conv_out = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(latent_sample)
        h = torch.nn.functional.interpolate(h, scale_factor=2.0, mode='nearest')
        h = self.block(h, torch.zeros(h.shape[0], HIDDEN))
        return torch.tanh(self.conv_out(torch.nn.functional.silu(h)))


def export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')


def main():
    vocab_size = write_tokenizer(os.path.join(OUT, 'tokenizer'))
    batch, seq = 2, MAX_LENGTH
    ids = torch.randint(0, vocab_size, (batch, seq), dtype=torch.int64)
    # Names and dynamic axes: CLIPTextOnnxConfig.inputs / .outputs
    export(TextEncoder(vocab_size), (ids,), os.path.join(OUT, 'text_encoder', 'model.onnx'),
           ['input_ids'], ['last_hidden_state', 'pooler_output'],
           {'input_ids': {0: 'batch_size', 1: 'sequence_length'},
            'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'}, 'pooler_output': {0: 'batch_size'}})
    # UNetOnnxConfig: the timestep is "a scalar with no dimension", float (DummyTimestepInputGenerator)
    sample = torch.randn(batch, LATENT_CHANNELS, SAMPLE_SIZE, SAMPLE_SIZE)
    export(UNet(), (sample, torch.tensor(500.0), torch.randn(batch, seq, HIDDEN)), os.path.join(OUT, 'unet', 'model.onnx'),
           ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
           {'sample': {0: 'batch_size', 2: 'height', 3: 'width'}, 'timestep': {},
            'encoder_hidden_states': {0: 'batch_size', 1: 'sequence_length'}, 'out_sample': {0: 'batch_size', 2: 'height', 3: 'width'}})
    # VaeDecoderOnnxConfig
    export(VaeDecoder(), (torch.randn(1, LATENT_CHANNELS, SAMPLE_SIZE, SAMPLE_SIZE),), os.path.join(OUT, 'vae_decoder', 'model.onnx'),
           ['latent_sample'], ['sample'],
           {'latent_sample': {0: 'batch_size', 2: 'latent_height', 3: 'latent_width'},
            'sample': {0: 'batch_size', 2: 'latent_height * 2', 3: 'latent_width * 2'}})

    # Configs, shaped like the ones an SD 1.5 export carries (only the keys the engine reads matter).
    write_json(os.path.join(OUT, 'model_index.json'), {
        '_class_name': 'ORTStableDiffusionPipeline', '_diffusers_version': '0.30.0',
        'scheduler': ['diffusers', 'EulerDiscreteScheduler'], 'text_encoder': ['optimum', 'ORTModelTextEncoder'],
        'tokenizer': ['transformers', 'CLIPTokenizer'], 'unet': ['optimum', 'ORTModelUnet'],
        'vae_decoder': ['optimum', 'ORTModelVaeDecoder'], 'requires_safety_checker': False,
        'safety_checker': [None, None], 'feature_extractor': [None, None]})
    write_json(os.path.join(OUT, 'scheduler', 'scheduler_config.json'), {
        '_class_name': 'EulerDiscreteScheduler', 'num_train_timesteps': 1000, 'beta_start': 0.00085, 'beta_end': 0.012,
        'beta_schedule': 'scaled_linear', 'trained_betas': None, 'prediction_type': 'epsilon',
        'timestep_spacing': 'leading', 'steps_offset': 1, 'set_alpha_to_one': False, 'clip_sample': False})
    write_json(os.path.join(OUT, 'text_encoder', 'config.json'), {
        'architectures': ['CLIPTextModel'], 'hidden_size': HIDDEN, 'max_position_embeddings': MAX_LENGTH, 'vocab_size': vocab_size})
    write_json(os.path.join(OUT, 'unet', 'config.json'), {
        '_class_name': 'UNet2DConditionModel', 'sample_size': SAMPLE_SIZE, 'in_channels': LATENT_CHANNELS,
        'out_channels': LATENT_CHANNELS, 'block_out_channels': [16, 32], 'cross_attention_dim': HIDDEN})
    write_json(os.path.join(OUT, 'vae_decoder', 'config.json'), {
        '_class_name': 'AutoencoderKL', 'latent_channels': LATENT_CHANNELS, 'block_out_channels': [16, 16],
        'sample_size': SAMPLE_SIZE * 2, 'scaling_factor': 0.18215})
    print('wrote', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
