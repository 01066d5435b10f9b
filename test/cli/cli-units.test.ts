/** The CLI's pieces without a process: the flag grammar, which values are files, field listings, progress lines. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseArgs, wantsHelp } from '../../src/cli/args.ts';
import { localFileOf } from '../../src/cli/file-values.ts';
import { helpFor } from '../../src/cli/help.ts';
import { describeField, describeModel } from '../../src/cli/models.ts';
import { bar, describeStatus, statusPrinter } from '../../src/cli/progress.ts';
import { UsageError } from '../../src/cli/usage-error.ts';

describe('flags', () => {
  test('values, --name=value, booleans, fields and positionals', () => {
    const parsed = parseArgs(['m/x', '--out', 'o', '--url=http://h:1/', '--json', '--prompt', '-1 below zero', '--seed=3'], { values: ['out', 'url'], booleans: ['json'], fields: true }, 'modelgate run');
    assert.deepEqual(parsed.positionals, ['m/x']);
    assert.deepEqual(parsed.values, { out: 'o', url: 'http://h:1/' });
    assert.deepEqual([...parsed.booleans], ['json']);
    assert.deepEqual(parsed.fields, { prompt: '-1 below zero', seed: '3' });
  });

  test('an undeclared flag, a short flag, a boolean with a value and a missing value are usage errors naming the help command', () => {
    const spec = { values: ['out'], booleans: ['json'] };
    assert.throws(() => parseArgs(['--outt', 'x'], spec, 'modelgate models'), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --outt; see modelgate models --help');
    assert.throws(() => parseArgs(['--outt=x'], spec, 'modelgate models'), /unknown flag --outt; see modelgate models --help/);
    assert.throws(() => parseArgs(['-x'], spec, 'modelgate models'), /unknown flag -x; see modelgate models --help/);
    assert.throws(() => parseArgs(['--json=yes'], spec, 'modelgate models'), /--json takes no value; see modelgate models --help/);
    assert.throws(() => parseArgs(['--out'], spec, 'modelgate models'), /--out needs a value; see modelgate models --help/);
  });

  test('help is found anywhere, and a subcommand has its own', () => {
    assert.ok(wantsHelp(['x', '-h']) && wantsHelp(['--help']) && !wantsHelp(['--helpful']));
    assert.match(helpFor('keys', ['revoke', '--help'])!, /^usage: modelgate keys revoke ID/);
    assert.match(helpFor('keys', ['--help'])!, /^usage: modelgate keys create/);
    assert.equal(helpFor('nope', []), undefined);
  });
});

describe('file values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-files-'));
  const photo = join(dir, 'photo.png');
  writeFileSync(photo, 'not really a png');

  test('URLs and data: URIs pass through; a path or @path in a file field is uploaded; a missing one is an error', () => {
    assert.equal(localFileOf('image', 'https://example.com/a.png', true), undefined);
    assert.equal(localFileOf('image', 'HTTP://example.com/a.png', true), undefined);
    assert.equal(localFileOf('image', 'data:image/png;base64,AAAA', true), undefined);
    assert.equal(localFileOf('image', photo, true), photo);
    assert.equal(localFileOf('image', `@${photo}`, true), photo);
    assert.throws(() => localFileOf('image', join(dir, 'missing.png'), true), /--image: no such file/);
    assert.throws(() => localFileOf('image', `@${join(dir, 'missing.png')}`, true), /--image: no such file/);
    assert.throws(() => localFileOf('image', dir, true), /no such file/, 'a folder is not a file');
  });

  test('in other fields only @path of an existing file is uploaded; everything else is text', () => {
    assert.equal(localFileOf('prompt', photo, false), undefined);
    assert.equal(localFileOf('prompt', `@${photo}`, false), photo);
    assert.equal(localFileOf('prompt', '@someone said hi', false), undefined);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});

describe('model listing', () => {
  test('a field shows its type, whether required, allowed values, default, limits, file rules and description', () => {
    assert.deepEqual(describeField('scale', { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Guidance.' }, false, undefined), [
      '  --scale  number, optional',
      '      default: 0.5',
      '      limits: from 0 to 1',
      '      about: Guidance.',
    ]);
    const many = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const lines = describeField('size', { type: 'string', enum: many }, true, undefined);
    assert.equal(lines[0], '  --size  string, required');
    assert.match(lines[1]!, /one of: "v0", .*"v11", … \(20 values; --json lists them all\)$/);
    assert.deepEqual(describeField('image', { type: 'string', validations: [{ validation_rule: 'file_size_mb<', validation_value: 16, validation_error: 'Too big.' }] }, true, 'image'), [
      '  --image  file (image), required',
      '      file rule: file_size_mb< 16 (Too big.)',
    ]);
  });

  test('a model lists its required fields first and says how file fields are given', () => {
    const text = describeModel({
      model_id: 'a/b', display_name: 'A B', categories: ['x'], engine: 'builtin', engine_available: false, output_schema: {},
      input_schema: { required: ['image'], properties: { seed: { type: 'integer' }, image: { type: 'string' } } },
      file_inputs: { image: { kind: 'image' } },
    });
    assert.match(text, /^a\/b: A B\ncategories: x {3}engine: builtin \(unavailable\)\n/);
    assert.ok(text.indexOf('--image') < text.indexOf('--seed'), text);
    assert.match(text, /File fields take a local path \(uploaded by modelgate run\), an https:\/\/ URL or a data: URI\./);
  });
});

describe('progress', () => {
  test('queue position, progress and the bar', () => {
    const urls = { request_id: 'r', status_url: 's', result_url: 'u' };
    assert.equal(describeStatus({ ...urls, status: 'in_queue', queue_position: 0 }), 'in queue, position 0 (next)');
    assert.equal(describeStatus({ ...urls, status: 'in_queue', queue_position: 4 }), 'in queue, position 4');
    assert.equal(describeStatus({ ...urls, status: 'in_progress', progress: 0.426 }), 'in progress 43%');
    assert.equal(bar(0.5), `[${'#'.repeat(12)}${'.'.repeat(12)}]`);
    assert.equal(bar(7), `[${'#'.repeat(24)}]`);
  });

  test('on a terminal one line is redrawn with the bar and elapsed time; on a pipe a line per change', () => {
    const written: string[] = [];
    let now = 1000;
    const stream = (isTTY: boolean) => ({ isTTY, write: (text: string) => written.push(text) }) as unknown as NodeJS.WriteStream;
    const urls = { request_id: 'r', status_url: 's', result_url: 'u' };
    const tty = statusPrinter(stream(true), () => now);
    now = 3500;
    tty.update({ ...urls, status: 'in_progress', progress: 0.25 });
    tty.done();
    assert.deepEqual(written, [`\r\x1b[2K[######..................] in progress 25%  2.5s`, '\r\x1b[2K']);
    written.length = 0;
    const pipe = statusPrinter(stream(false), () => now);
    pipe.update({ ...urls, status: 'in_queue', queue_position: 2 });
    pipe.update({ ...urls, status: 'in_queue', queue_position: 2 });
    now = 4000;
    pipe.update({ ...urls, status: 'in_queue', queue_position: 1 });
    pipe.done();
    assert.deepEqual(written, ['0.0s in queue, position 2\n', '0.5s in queue, position 1\n']);
  });
});
