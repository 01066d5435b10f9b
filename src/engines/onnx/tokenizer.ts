/**
 * Tokenizers for the `tokenizer/` folder of a Hugging Face diffusion export.
 *
 * CLIP BPE (what every SD-family export ships: vocab.json + merges.txt), following OpenAI CLIP's
 * simple_tokenizer.py and transformers' CLIPTokenizer: whitespace collapsed and lower-cased; split
 * by CLIP's pre-tokenisation pattern (`<|startoftext|>`, `<|endoftext|>`, the contractions 's 't 're
 * 've 'm 'll 'd, runs of letters, single digits, runs of other non-space characters); each piece's
 * UTF-8 bytes mapped to GPT-2's printable byte alphabet, `</w>` appended to its last symbol, then
 * merged by merges.txt rank; ids framed as [BOS] ids… [EOS], truncated to model_max_length and
 * padded with the pad token (SD 1.x pads with <|endoftext|> 49407, SD 2.x / SD-Turbo with "!" 0 —
 * read from tokenizer_config.json / special_tokens_map.json, not assumed).
 *
 * Word level (for small models of our own): tokenizer_config.json says
 * `"tokenizer_class": "ModelGateWordTokenizer"`; vocab.json maps lower-case words to ids; anything
 * else maps to the unknown token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Tokenizer {
  /** Length of every encoded sequence (padded/truncated). */
  readonly maxLength: number;
  encode(text: string): Int32Array;
}

type SpecialToken = string | { content?: string } | undefined | null;

function tokenText(token: SpecialToken): string | undefined {
  if (typeof token === 'string') return token;
  if (token && typeof token.content === 'string') return token.content;
  return undefined;
}

function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
}

/** GPT-2's reversible byte → printable character table (bytes_to_unicode). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();
/** CLIP's pattern (simple_tokenizer.py / CLIPTokenizer.pat), applied after lower-casing. */
const CLIP_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

function frame(ids: number[], bos: number, eos: number, pad: number, maxLength: number): Int32Array {
  const out = new Int32Array(maxLength).fill(pad);
  const body = ids.slice(0, maxLength - 2);
  out[0] = bos;
  out.set(body, 1);
  out[body.length + 1] = eos;
  return out;
}

export class ClipBpeTokenizer implements Tokenizer {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;

  constructor(
    private readonly vocab: Record<string, number>,
    merges: string[],
    readonly maxLength = 77,
    padToken = '<|endoftext|>',
  ) {
    merges.forEach((merge, rank) => this.ranks.set(merge, rank));
    const id = (token: string, fallback: number) => vocab[token] ?? fallback;
    this.bos = id('<|startoftext|>', 49406);
    this.eos = id('<|endoftext|>', 49407);
    this.pad = id(padToken, this.eos);
  }

  /** From the text files: merges.txt starts with a `#version` line, then "a b" per line. */
  static fromFiles(vocabJson: string, mergesTxt: string, maxLength?: number, padToken?: string): ClipBpeTokenizer {
    const merges = mergesTxt.split('\n').filter((line, i) => line.trim() !== '' && !(i === 0 && line.startsWith('#version')));
    return new ClipBpeTokenizer(JSON.parse(vocabJson) as Record<string, number>, merges.map((m) => m.trim()), maxLength, padToken);
  }

  /** The BPE symbols of one pre-tokenised piece (already in the byte alphabet). */
  bpe(piece: string): string[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    const chars = [...piece];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [first, second] = [word[best]!, word[best + 1]!];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]!);
      }
      word = merged;
    }
    if (this.cache.size < 10_000) this.cache.set(piece, word);
    return word;
  }

  /** Token ids of the text without BOS/EOS/padding. */
  tokenize(text: string): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const match of clean.matchAll(CLIP_PATTERN)) {
      const piece = match[0];
      if (piece === '<|startoftext|>' || piece === '<|endoftext|>') {
        ids.push(this.vocab[piece]!);
        continue;
      }
      const mapped = [...Buffer.from(piece, 'utf8')].map((b) => BYTE_CHARS[b]!).join('');
      for (const symbol of this.bpe(mapped)) {
        const id = this.vocab[symbol];
        // Every single byte symbol (and byte + </w>) is in CLIP's vocab, so this only skips
        // symbols of a hand-made vocabulary that lacks them.
        if (id !== undefined) ids.push(id);
      }
    }
    return ids;
  }

  encode(text: string): Int32Array {
    return frame(this.tokenize(text), this.bos, this.eos, this.pad, this.maxLength);
  }
}

export class WordTokenizer implements Tokenizer {
  private readonly bos: number;
  private readonly eos: number;
  private readonly pad: number;
  private readonly unk: number;

  constructor(
    private readonly vocab: Record<string, number>,
    readonly maxLength: number,
    tokens: { bos?: string; eos?: string; pad?: string; unk?: string },
  ) {
    const id = (token: string | undefined, name: string) => {
      const value = token === undefined ? undefined : vocab[token];
      if (value === undefined) throw new Error(`word tokenizer: the ${name} token ${JSON.stringify(token)} is not in vocab.json`);
      return value;
    };
    this.bos = id(tokens.bos, 'bos');
    this.eos = id(tokens.eos, 'eos');
    this.pad = id(tokens.pad, 'pad');
    this.unk = id(tokens.unk, 'unk');
  }

  encode(text: string): Int32Array {
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    return frame(words.map((w) => this.vocab[w] ?? this.unk), this.bos, this.eos, this.pad, this.maxLength);
  }
}

/** Loads `dir` (an export's tokenizer/ folder) as the tokenizer its files describe. */
export function loadTokenizer(dir: string): Tokenizer {
  const config = { ...readJson(join(dir, 'special_tokens_map.json')), ...readJson(join(dir, 'tokenizer_config.json')) };
  const vocabPath = join(dir, 'vocab.json');
  if (!existsSync(vocabPath)) throw new Error(`${vocabPath} is missing`);
  const maxLength = typeof config.model_max_length === 'number' && config.model_max_length <= 4096 ? config.model_max_length : 77;
  const text = (key: string) => tokenText(config[key] as SpecialToken);
  if (config.tokenizer_class === 'ModelGateWordTokenizer') {
    const vocab = JSON.parse(readFileSync(vocabPath, 'utf8')) as Record<string, number>;
    return new WordTokenizer(vocab, maxLength, { bos: text('bos_token'), eos: text('eos_token'), pad: text('pad_token'), unk: text('unk_token') });
  }
  const mergesPath = join(dir, 'merges.txt');
  if (!existsSync(mergesPath)) throw new Error(`${mergesPath} is missing (a CLIP BPE tokenizer needs vocab.json and merges.txt)`);
  return ClipBpeTokenizer.fromFiles(readFileSync(vocabPath, 'utf8'), readFileSync(mergesPath, 'utf8'), maxLength, text('pad_token'));
}
