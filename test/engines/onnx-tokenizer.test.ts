/**
 * The CLIP BPE tokenizer. CLIP's real vocab.json/merges.txt are not available here (no npm package
 * ships them), so the vocabulary below is built the way CLIP's is (simple_tokenizer.py: the 256
 * byte symbols in bytes_to_unicode order at ids 0–255, the same with "</w>" at 256–511, one entry
 * per merge, then <|startoftext|> 49406 and <|endoftext|> 49407) with a few hand-written merges, and
 * the merged words placed at their published CLIP ids: "a photo of a cat" is
 * [49406, 320, 1125, 539, 320, 2368, 49407] with openai/clip-vit-large-patch14's tokenizer.
 * Single-byte ids (a</w> = 320, "!" = 0, 2</w> = 273) are CLIP's own, so they also check the byte table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ClipBpeTokenizer, WordTokenizer, loadTokenizer } from '../../src/engines/onnx/tokenizer.ts';

function byteSymbols(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) rest.push(b);
  return [...printable.map((b) => String.fromCodePoint(b)), ...rest.map((_, i) => String.fromCodePoint(256 + i))];
}

function clipLike(pad?: string): ClipBpeTokenizer {
  const vocab: Record<string, number> = {};
  byteSymbols().forEach((s, i) => {
    vocab[s] = i;
    vocab[`${s}</w>`] = 256 + i;
  });
  const merges = ['o f</w>', 'c a', 'ca t</w>', 'p h', 'ph o', 'o t', 'pho t', 'phot o</w>'];
  // Intermediate symbols get ids of our own; the words get CLIP's.
  Object.assign(vocab, { 'of</w>': 539, ca: 1000, 'cat</w>': 2368, ph: 1001, pho: 1002, ot: 1003, phot: 1004, 'photo</w>': 1125 });
  Object.assign(vocab, { '<|startoftext|>': 49406, '<|endoftext|>': 49407 });
  return new ClipBpeTokenizer(vocab, merges, 77, pad);
}

const ids = (tokens: Int32Array) => [...tokens.subarray(0, tokens.indexOf(49407) + 1)];

describe('CLIP BPE tokenizer', () => {
  const tok = clipLike();

  test('"a photo of a cat" gives CLIP\'s published ids', () => {
    assert.deepEqual(ids(tok.encode('a photo of a cat')), [49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  test('lower-cases and collapses whitespace', () => {
    assert.deepEqual(ids(tok.encode('  A   PHOTO\n\tof a Cat ')), [49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  test('merges by rank: "ot" would win over "pho t" only by rank, and does not here', () => {
    // "photo": p h o t o</w> → ph o t o</w> → pho t o</w> → phot o</w> → photo</w>; the "o t" merge
    // (rank 5) is lower priority than "ph o" (rank 4) but higher than "pho t" (rank 6), so the
    // order matters and a wrong order ends in "ph" "ot" "o</w>".
    assert.deepEqual(tok.bpe('photo'), ['photo</w>']);
    assert.deepEqual(tok.bpe('hoto'), ['h', 'ot', 'o</w>']);
  });

  test('contractions, single digits and punctuation runs are separate pieces', () => {
    // "cat's" → "cat" + "'s" ("'" is byte 39: id 6; "s</w>" 256 + 82)
    assert.deepEqual(tok.tokenize("cat's"), [2368, 6, 338]);
    // digits one by one: "2</w>" is CLIP's 273
    assert.deepEqual(tok.tokenize('2024'), [273, 271, 273, 275]);
    // a punctuation run is one piece: "!!" → "!" (0) "!</w>" (256)
    assert.deepEqual(tok.tokenize('cat!!'), [2368, 0, 256]);
  });

  test('non-ASCII text goes through its UTF-8 bytes', () => {
    // é = C3 A9: byte symbols 127 and 102 (+256 as the word end)
    assert.deepEqual(tok.tokenize('é'), [127, 358]);
  });

  test('truncates to 77 with BOS and EOS kept, pads with the pad token', () => {
    const long = tok.encode(Array(100).fill('a').join(' '));
    assert.equal(long.length, 77);
    assert.equal(long[0], 49406);
    assert.equal(long[76], 49407);
    assert.ok(long.subarray(1, 76).every((id) => id === 320));
    const short = tok.encode('a cat');
    assert.deepEqual([...short.subarray(0, 5)], [49406, 320, 2368, 49407, 49407]);
    // SD 2.x / SD-Turbo pad with "!" (id 0)
    assert.deepEqual([...clipLike('!').encode('a cat').subarray(0, 6)], [49406, 320, 2368, 49407, 0, 0]);
  });

  test('loads a tokenizer/ folder: the fixture export\'s CLIP files, and a word-level one', () => {
    const fixture = loadTokenizer(join(import.meta.dirname, '..', 'fixtures', 'tiny-sd-onnx', 'tokenizer'));
    assert.ok(fixture instanceof ClipBpeTokenizer);
    assert.equal(fixture.maxLength, 77);
    const encoded = fixture.encode('a red circle');
    assert.equal(encoded.length, 77);
    assert.equal(encoded[0], fixture.bos);
    assert.equal(encoded[4], fixture.eos);

    const dir = mkdtempSync(join(tmpdir(), 'word-tok-'));
    try {
      writeFileSync(join(dir, 'vocab.json'), JSON.stringify({ '<pad>': 0, '<bos>': 1, '<eos>': 2, '<unk>': 3, red: 4, circle: 5 }));
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'ModelGateWordTokenizer', model_max_length: 8, bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>' }));
      const words = loadTokenizer(dir);
      assert.ok(words instanceof WordTokenizer);
      assert.deepEqual([...words.encode('A RED, circle! hexagon')], [1, 3, 4, 5, 3, 2, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
