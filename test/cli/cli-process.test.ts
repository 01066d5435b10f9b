/**
 * The real `modelgate` command as a user runs it, in child processes: help on every command and
 * subcommand (exit 0, stdout, and `serve --help` never starts a server), usage mistakes (exit 2
 * with a line naming the flag and the help command), `models` and `models ID` against a running
 * server, `run` uploading a local file for a file field and saving the output (stdout carries only
 * the saved path), and the bundled text-to-image model's notice at start and after an
 * out-of-domain prompt.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { MODEL_IDS, SMALL_PNG_DATA_URI } from '../support/models.ts';
import { Processes, type Install, type Server } from '../support/processes.ts';

const procs = new Processes();
after(() => procs.cleanup());

const SEED_PROMPT = 'A beautiful girl is walking on the street';

/** Runs short commands two at a time (the machine has two cores, shared), each with a generous deadline. */
async function runEach(list: string[][], env: Record<string, string>) {
  const results: Array<Awaited<ReturnType<Processes['run']>>> = [];
  for (let i = 0; i < list.length; i += 2) results.push(...(await Promise.all(list.slice(i, i + 2).map((args) => procs.run(undefined, args, env, 90_000)))));
  return results;
}

describe('help and usage mistakes (no server, no configuration read)', () => {
  const HELP_ARGS = [
    ['--help'], ['-h'], ['help'], ['help', 'run'],
    ['serve', '--help'], ['worker', '-h'], ['migrate', '--help'], ['models', '--help'], ['models', 'some/model', '-h'],
    ['run', '--help'], ['run', MODEL_IDS.reframe, '--image', 'x.png', '--help'],
    ['keys', '--help'], ['keys', 'create', '--help'], ['keys', 'list', '-h'], ['keys', 'revoke', '--help'], ['keys', 'set', 'ID', '--help'], ['webhooks', '--help'], ['webhooks', 'secret', '-h'],
  ];
  test('--help / -h on every command and subcommand prints help on stdout and exits 0', async () => {
    // A configuration that would stop any command that reads it: help must not read it.
    const env = { PORT: 'not-a-port' };
    const runs = await runEach(HELP_ARGS, env);
    for (const [i, run] of runs.entries()) {
      const args = HELP_ARGS[i]!.join(' ');
      assert.equal(run.code, 0, `${args}: ${run.stderr}`);
      assert.match(run.stdout, /usage: modelgate|modelgate: a self-hosted/, args);
      assert.equal(run.stderr.replace(/^modelgate: dist\/.*\n/gm, ''), '', args);
    }
    const byArgs = (args: string) => runs[HELP_ARGS.findIndex((a) => a.join(' ') === args)]!.stdout;
    assert.match(byArgs('serve --help'), /^usage: modelgate serve\n/);
    assert.doesNotMatch(byArgs('serve --help'), /is serving/);
    assert.match(byArgs('keys create --help'), /^usage: modelgate keys create --name NAME \[--max-running N\]/);
    assert.match(byArgs('keys set ID --help'), /^usage: modelgate keys set ID --max-running N\|default/);
    assert.match(byArgs('run --help'), /local path .* or @path +uploaded first/);
    assert.equal(byArgs('help run'), byArgs('run --help'));
  });

  test('an unknown flag, a missing value or a stray argument exits 2 naming it and the help command', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--port', '9'], /^modelgate: unknown flag --port; see modelgate serve --help$/m],
      [['worker', '--bogus=1'], /^modelgate: unknown flag --bogus; see modelgate worker --help$/m],
      [['models', '--jsn'], /^modelgate: unknown flag --jsn; see modelgate models --help$/m],
      [['run', MODEL_IDS.dreamina, '--out'], /^modelgate: --out needs a value; see modelgate run --help$/m],
      [['run'], /which model\?.*see modelgate run --help/],
      [['keys', 'create', '--name', 'x', '--max-runing', '2'], /^modelgate: unknown flag --max-runing; see modelgate keys create --help$/m],
      [['keys', 'revoke'], /^modelgate: usage: modelgate keys revoke ID; see modelgate keys revoke --help$/m],
      [['migrate', 'now'], /^modelgate: unexpected argument "now"; see modelgate migrate --help$/m],
      [['frobnicate'], /^modelgate: unknown command "frobnicate"; see modelgate --help$/m],
    ];
    const runs = await runEach(cases.map(([args]) => args), { MODELGATE_API_KEY: 'mg_x' });
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 2, cases[i]![0].join(' '));
      assert.match(run.stderr, cases[i]![1]);
      assert.equal(run.stdout, '');
    }
  });
});

describe('models and run against a running server', () => {
  let install: Install;
  let server: Server;
  let env: Record<string, string>;
  before(async () => {
    install = procs.install();
    // Text-to-image stays on its default engine (the bundled onnx model); the others on the test engine.
    const config = JSON.parse(readFileSync(install.configFile, 'utf8')) as { models: Record<string, unknown> };
    delete config.models[MODEL_IDS.dreamina];
    delete config.models[MODEL_IDS.seedream];
    writeFileSync(install.configFile, JSON.stringify(config));
    server = await procs.serve(install, { MODELGATE_WORKERS: '1' });
    env = { MODELGATE_URL: server.url, MODELGATE_API_KEY: server.apiKey! };
  });

  test('the first start prints the key as an export line and a curl that works, and the bundled model\'s note once', async () => {
    assert.match(server.stderr, /^ {2}export MODELGATE_API_KEY=mg_[0-9A-Za-z]+$/m);
    assert.ok(server.stderr.includes(`Or open ${server.url}/ in a browser`), 'the banner names the console');
    const curl = /^ {2}(curl .*)$/m.exec(server.stderr)?.[1];
    assert.ok(curl, server.stderr);
    // The curl line, run as the user would paste it: the single-quoted body and the model URL.
    const body = /-d '([^']+)'/.exec(curl)![1]!;
    const url = / (https?:\/\/\S+)$/.exec(curl)![1]!;
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, body });
    assert.equal(response.status, 200, await response.clone().text());
    assert.match(((await response.json()) as { request_id: string }).request_id, /\S/);
    assert.equal(server.stderr.match(/^note: text-to-image runs on the bundled tiny-shapes model/gm)?.length, 1, server.stderr);
    assert.match(server.stderr, /docs\/engines\.md, "onnx"/);
  });

  test('models lists id, name, categories and engine; models ID shows the fields, limits and file rules', async () => {
    const list = await procs.run(install, ['models'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^MODEL_ID +NAME +CATEGORIES +ENGINE$/m);
    assert.match(list.stdout, /^bytedance\/dreamina-4-0\/text-to-image +Dreamina 4\.0 \| Text to Image +text-to-image +onnx$/m);
    assert.match(list.stdout, /^ideogram\/ideogram-v3\/reframe +.*image-to-image, outpainting +test$/m);

    const runway = await procs.run(install, ['models', MODEL_IDS.runway], env);
    assert.equal(runway.code, 0, runway.stderr);
    assert.match(runway.stdout, /^ {2}--promptImage {2}file \(image\), required$/m);
    assert.match(runway.stdout, /file rule: width\/height< 2 \(The aspect ratio range should be 1:2 to 2:1\.\)/);
    assert.match(runway.stdout, /^ {2}--duration {2}integer, optional\n {6}one of: 5, 10\n {6}default: 5$/m);
    assert.match(runway.stdout, /^ {2}--seed {2}integer, optional\n {6}limits: from 0 to 4294967295$/m);
    assert.match(runway.stdout, /^ {2}--promptText {2}string, required\n {6}limits: at most 512 characters$/m);

    const json = await procs.run(install, ['models', MODEL_IDS.reframe, '--json'], env);
    assert.deepEqual((JSON.parse(json.stdout) as { file_inputs: unknown }).file_inputs, { image: { kind: 'image' } });

    const unknown = await procs.run(install, ['models', 'no/such-model'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown model id "no\/such-model".*400001/);

    // A wrong key is a one-line message with the API's code, never a stack.
    for (const args of [['models'], ['run', MODEL_IDS.dreamina, '--prompt', 'x']]) {
      const denied = await procs.run(install, args, { ...env, MODELGATE_API_KEY: 'mg_wrong' });
      assert.equal(denied.code, 1, denied.stderr);
      assert.match(denied.stderr, /^modelgate: .*(401001)?/m);
      assert.doesNotMatch(denied.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('run uploads a local path given for a file field, saves the output, and prints only its path on stdout', async () => {
    const photo = join(install.dir, 'photo.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).png().toFile(photo);
    const out = join(install.dir, 'out-reframe');
    const run = await procs.run(install, ['run', MODEL_IDS.reframe, '--image', photo, '--resolution', '1024:1024 (1:1)', '--out', out, '--interval', '100'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`^uploading ${photo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} for image$`, 'm'));
    const paths = run.stdout.trim().split('\n');
    assert.equal(paths.length, 1, run.stdout);
    assert.ok(paths[0]!.startsWith(out) && existsSync(paths[0]!), run.stdout);
    // Not a TTY here: plain progress lines with the elapsed time, no cursor codes.
    assert.match(run.stderr, /^\d+\.\ds (in queue, position \d+|in progress|completed)/m);
    assert.doesNotMatch(run.stderr, /\x1b\[/);

    const atPath = await procs.run(install, ['run', MODEL_IDS.reframe, '--image', `@${photo}`, '--resolution', '1024:1024 (1:1)', '--out', join(install.dir, 'out-at'), '--interval', '100'], env);
    assert.equal(atPath.code, 0, atPath.stderr);
    assert.match(atPath.stderr, /^uploading .*photo\.png for image$/m);

    const missing = await procs.run(install, ['run', MODEL_IDS.reframe, '--image', join(install.dir, 'nope.png')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--image: no such file ".*nope\.png" \(a file field takes a local path, @path, an https:\/\/ URL or a data: URI\)/);
  });

  test('a path given for a text field stays text; a rejected input names the field and exits 2', async () => {
    // A prompt that happens to be an existing file name is still the prompt.
    const rejected = await procs.run(install, ['run', MODEL_IDS.runway, '--promptText', install.configFile, '--promptImage', SMALL_PNG_DATA_URI, '--duration', '7'], env);
    assert.equal(rejected.code, 2, rejected.stderr);
    assert.doesNotMatch(rejected.stderr, /uploading/);
    assert.match(rejected.stderr, /^rejected \(422001\): .*\n {2}body\.duration: must be one of: 5, 10$/m);
  });

  test('an out-of-domain prompt on the bundled model still runs; the CLI says what the model draws and how to get a real one', async () => {
    const out = join(install.dir, 'out-t2i');
    const run = await procs.run(install, ['run', MODEL_IDS.dreamina, '--prompt', SEED_PROMPT, '--width×height', '1024x1024(1:1)', '--out', out, '--interval', '100'], env, 60_000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^note: The bundled text-to-image model \(models\/tiny-shapes\) draws only circles, squares and triangles in .*; this prompt names none of those shapes.*docs\/engines\.md, "onnx"/m);
    assert.match(run.stderr, /words it does not know: beautiful, girl, is, walking, street/);
    assert.equal(run.stdout, `${join(out, 'image.png')}\n`);
    const inDomain = await procs.run(install, ['run', MODEL_IDS.dreamina, '--prompt', 'a red circle on a yellow background', '--width×height', '1024x1024(1:1)', '--out', out, '--interval', '100'], env, 60_000);
    assert.equal(inDomain.code, 0, inDomain.stderr);
    assert.doesNotMatch(inDomain.stderr, /^note:/m);
  });
});
