/**
 * The seeds' file-rule language: `validations: [{validation_rule, validation_value,
 * validation_error}]`, checked against a file's measured properties once it is fetched.
 * A rule is `<measure><operator>` (e.g. `width/height>`), so any model can use any pair.
 */
import type { FileMeasures } from '../inputs/measured-file.ts';
import type { FileRule } from './types.ts';

export type { FileMeasures } from '../inputs/measured-file.ts';


type Measure = (file: FileMeasures) => number | undefined;

const MEASURES: Record<string, Measure> = {
  width_pixels: (f) => f.width,
  height_pixels: (f) => f.height,
  'width/height': (f) => (f.width !== undefined && f.height ? f.width / f.height : undefined),
  'height/width': (f) => (f.height !== undefined && f.width ? f.height / f.width : undefined),
  file_size_mb: (f) => f.sizeBytes / (1024 * 1024),
  file_size_bytes: (f) => f.sizeBytes,
  duration_seconds: (f) => f.durationSeconds,
  pixels: (f) => (f.width !== undefined && f.height !== undefined ? f.width * f.height : undefined),
};

const OPERATORS: Record<string, (actual: number, limit: number) => boolean> = {
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

interface ParsedRule {
  measure: string;
  operator: string;
}

/** Splits `width/height>` into measure and operator; longest operators are tried first. */
export function parseRule(rule: string): ParsedRule {
  const trimmed = rule.trim();
  for (const operator of Object.keys(OPERATORS)) {
    if (trimmed.endsWith(operator)) {
      const measure = trimmed.slice(0, -operator.length).trim();
      if (MEASURES[measure]) return { measure, operator };
    }
  }
  throw new Error(`unknown file rule ${JSON.stringify(rule)}: expected one of ${Object.keys(MEASURES).join(', ')} followed by one of ${Object.keys(OPERATORS).join(' ')}`);
}

export interface RuleViolation {
  rule: FileRule;
  /** The rule's own `validation_error` text: what the client sees. */
  message: string;
}

/**
 * Returns the first rule the file breaks, or undefined. A rule whose measure does not apply to
 * the file (say, pixel width of a file that has none) counts as broken: unmeasurable is unsafe.
 */
export function checkFileRules(rules: readonly FileRule[], file: FileMeasures): RuleViolation | undefined {
  for (const rule of rules) {
    const { measure, operator } = parseRule(rule.validation_rule);
    const actual = MEASURES[measure]!(file);
    const holds = actual !== undefined && Number.isFinite(actual) && OPERATORS[operator]!(actual, rule.validation_value);
    if (!holds) return { rule, message: rule.validation_error };
  }
  return undefined;
}
