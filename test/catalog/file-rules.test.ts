/**
 * The seeds' file-rule language (`validations`), as a general mechanism: runway promptImage's five
 * rules on both sides of each bound, made-up rules on other measures, and bad rules refused at
 * parse time and at catalog load.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.ts';
import { checkFileRules, parseRule, type FileMeasures } from '../../src/catalog/file-rules.ts';
import type { CatalogFile, FileRule } from '../../src/catalog/types.ts';
import { catalog, catalogFile, MODELS } from './fixtures.ts';

const MB = 1024 * 1024;
const PIXELS = 'The uploaded image width and height must not exceed 8000 pixels.';
const ASPECT = 'The aspect ratio range should be 1:2 to 2:1.';
const SIZE = 'File size must be less than 16 MB.';

function runwayRules(): FileRule[] {
  const model = catalog().get(MODELS.runway);
  assert.ok(model);
  const spec = model.fileInputs.find((f) => f.field === 'promptImage');
  assert.ok(spec, 'promptImage is a file input');
  assert.equal(spec.kind, 'image');
  return spec.rules;
}

/** The message of the first rule broken, or undefined when all hold. */
const verdict = (file: FileMeasures, rules = runwayRules()) => checkFileRules(rules, file)?.message;
const image = (width: number, height: number, sizeBytes = MB): FileMeasures => ({ width, height, sizeBytes });

describe('runway promptImage: the five seed rules, both sides of each bound', () => {
  test('the catalog wires the five rules to promptImage, and only there', () => {
    assert.equal(runwayRules().length, 5);
    for (const id of Object.values(MODELS)) {
      const model = catalog().get(id)!;
      const ruled = model.fileInputs.filter((f) => f.rules.length > 0).map((f) => f.field);
      assert.deepEqual(ruled, id === MODELS.runway ? ['promptImage'] : [], id);
    }
    assert.deepEqual(catalog().get(MODELS.reframe)!.fileInputs.map((f) => f.field), ['image']);
  });

  test('a typical image passes every rule', () => {
    assert.equal(verdict(image(1280, 768)), undefined);
    assert.equal(verdict(image(1024, 1024, 2 * MB)), undefined);
  });

  test('width: 7999 ok, 8000 refused with the pixel message', () => {
    assert.equal(verdict(image(7999, 5000)), undefined);
    assert.equal(verdict(image(8000, 5000)), PIXELS);
    assert.equal(verdict(image(12000, 8000)), PIXELS);
  });

  test('height: 7999 ok, 8000 refused with the pixel message', () => {
    assert.equal(verdict(image(5000, 7999)), undefined);
    assert.equal(verdict(image(5000, 8000)), PIXELS);
    assert.equal(verdict(image(7999, 7999)), undefined);
  });

  test('ratio lower bound: exactly 1:2 (0.5) refused, 0.51 ok', () => {
    assert.equal(verdict(image(1000, 2000)), ASPECT);
    assert.equal(verdict(image(510, 1000)), undefined);
    assert.equal(verdict(image(1001, 2000)), undefined);
    assert.equal(verdict(image(999, 2000)), ASPECT);
  });

  test('ratio upper bound: exactly 2:1 refused, 1.99 ok', () => {
    assert.equal(verdict(image(2000, 1000)), ASPECT);
    assert.equal(verdict(image(1990, 1000)), undefined);
    assert.equal(verdict(image(1999, 1000)), undefined);
    assert.equal(verdict(image(2001, 1000)), ASPECT);
  });

  test('3:1 and 1:3 are refused with the aspect message', () => {
    assert.equal(verdict(image(3000, 1000)), ASPECT);
    assert.equal(verdict(image(1000, 3000)), ASPECT);
    assert.equal(verdict(image(1536, 512)), ASPECT);
  });

  test('file size: exactly 16 MB refused, one byte less ok', () => {
    assert.equal(verdict(image(1280, 768, 16 * MB)), SIZE);
    assert.equal(verdict(image(1280, 768, 16 * MB - 1)), undefined);
    assert.equal(verdict(image(1280, 768, 15.99 * MB)), undefined);
    assert.equal(verdict(image(1280, 768, 50 * MB)), SIZE);
  });

  test('the violation names the rule it broke; the first broken rule in seed order wins', () => {
    const violation = checkFileRules(runwayRules(), image(9000, 1000, 20 * MB));
    assert.ok(violation);
    assert.equal(violation.rule.validation_rule, 'width_pixels<');
    assert.equal(violation.message, PIXELS);
    assert.equal(checkFileRules(runwayRules(), image(4000, 1000, 20 * MB))?.rule.validation_rule, 'width/height<');
  });

  test('a file whose pixel size could not be measured breaks the pixel rules (unmeasurable is unsafe)', () => {
    assert.equal(verdict({ sizeBytes: MB }), PIXELS);
    assert.equal(verdict({ sizeBytes: MB, width: 1000 }), PIXELS);
    assert.equal(verdict({ sizeBytes: MB, width: 1000, height: 0 }), ASPECT);
  });
});

describe('the rule language is general', () => {
  const rule = (validation_rule: string, validation_value: number, validation_error = `broke ${validation_rule}${validation_value}`): FileRule => ({ validation_rule, validation_value, validation_error });

  test('parseRule splits measure and operator, longest operator first, whitespace tolerated', () => {
    assert.deepEqual(parseRule('width_pixels<'), { measure: 'width_pixels', operator: '<' });
    assert.deepEqual(parseRule('width/height>'), { measure: 'width/height', operator: '>' });
    assert.deepEqual(parseRule('height/width<='), { measure: 'height/width', operator: '<=' });
    assert.deepEqual(parseRule('duration_seconds>='), { measure: 'duration_seconds', operator: '>=' });
    assert.deepEqual(parseRule(' file_size_mb < '), { measure: 'file_size_mb', operator: '<' });
  });

  test('height/width<= holds at the bound and breaks just past it', () => {
    const rules = [rule('height/width<=', 1.5)];
    assert.equal(verdict(image(1000, 1500), rules), undefined);
    assert.equal(verdict(image(1000, 1501), rules), 'broke height/width<=1.5');
  });

  test('duration_seconds< on a video: under ok, at the bound refused, unmeasured refused', () => {
    const rules = [rule('duration_seconds<', 10)];
    assert.equal(verdict({ sizeBytes: 1, durationSeconds: 9.99 }, rules), undefined);
    assert.equal(verdict({ sizeBytes: 1, durationSeconds: 10 }, rules), 'broke duration_seconds<10');
    assert.equal(verdict({ sizeBytes: 1 }, rules), 'broke duration_seconds<10');
  });

  test('>= and == and != and pixels and file_size_bytes', () => {
    assert.equal(verdict(image(64, 64), [rule('width_pixels>=', 64)]), undefined);
    assert.equal(verdict(image(63, 64), [rule('width_pixels>=', 64)]), 'broke width_pixels>=64');
    assert.equal(verdict(image(10, 10), [rule('pixels<=', 100)]), undefined);
    assert.equal(verdict(image(10, 11), [rule('pixels<=', 100)]), 'broke pixels<=100');
    assert.equal(verdict(image(10, 10, 1000), [rule('file_size_bytes<', 1001)]), undefined);
    assert.equal(verdict(image(10, 10, 1001), [rule('file_size_bytes<', 1001)]), 'broke file_size_bytes<1001');
    assert.equal(verdict(image(512, 512), [rule('width/height==', 1)]), undefined);
    assert.equal(verdict(image(512, 513), [rule('width/height==', 1)]), 'broke width/height==1');
    assert.equal(verdict(image(512, 513), [rule('width/height!=', 1)]), undefined);
  });

  test('an empty rule list accepts anything', () => {
    assert.equal(checkFileRules([], { sizeBytes: 10 ** 12 }), undefined);
  });

  test('an unknown measure or operator throws at parse, naming the rule', () => {
    for (const bad of ['depth_pixels<', 'width_pixels', 'width_pixels=<', 'width_pixels=>', 'width_pixels≤', '<', 'width_pixels<<', 'WIDTH_PIXELS<', '']) {
      assert.throws(() => parseRule(bad), (error: Error) => error.message.includes(JSON.stringify(bad)), bad);
    }
  });

  test('checkFileRules refuses to evaluate an unparseable rule instead of passing the file', () => {
    assert.throws(() => checkFileRules([rule('depth_pixels<', 5)], image(1, 1)));
  });
});

describe('a catalog file with a bad rule stops the load', () => {
  const withRules = (rules: unknown[]): CatalogFile => {
    const file = structuredClone(catalogFile(MODELS.runway));
    (file.input_schema.properties as Record<string, Record<string, unknown>>).promptImage!.validations = rules;
    return file;
  };
  const good = { validation_rule: 'width_pixels<', validation_value: 8000, validation_error: PIXELS };

  test('the runway file as shipped loads, and so does a made-up valid rule list', () => {
    assert.doesNotThrow(() => new Catalog([catalogFile(MODELS.runway)]));
    const file = withRules([good, { validation_rule: 'height/width<=', validation_value: 2, validation_error: 'too tall' }]);
    const loaded = new Catalog([file]);
    assert.equal(loaded.get(MODELS.runway)!.fileInputs[0]!.rules.length, 2);
  });

  test('an unknown measure or operator: the error names the model, the field and the rule', () => {
    for (const validation_rule of ['width_px<', 'width_pixels~']) {
      assert.throws(
        () => new Catalog([withRules([good, { ...good, validation_rule }])]),
        (error: Error) => error.message.includes(MODELS.runway) && error.message.includes('promptImage') && error.message.includes(validation_rule),
      );
    }
  });

  test('a non-numeric limit or a missing message is refused too', () => {
    for (const bad of [{ ...good, validation_value: '8000' }, { ...good, validation_value: null }, { ...good, validation_error: '' }, { validation_rule: 'width_pixels<', validation_value: 8000 }]) {
      assert.throws(() => new Catalog([withRules([bad])]), /promptImage/, JSON.stringify(bad));
    }
  });

  test('rules on a property that is not a file input are refused at load, not silently ignored', () => {
    const file = structuredClone(catalogFile(MODELS.runway));
    file.file_inputs = {};
    assert.throws(() => new Catalog([file]), /promptImage has file rules/);
  });

  test('a file input that names no schema property', () => {
    const file = structuredClone(catalogFile(MODELS.runway));
    file.file_inputs = { ...file.file_inputs, missingField: { kind: 'image' } };
    assert.throws(() => new Catalog([file]), /missingField/);
  });
});
