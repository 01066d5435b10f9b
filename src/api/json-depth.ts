/**
 * JSON.parse accepts a million levels of nesting, but anything that later walks the value
 * recursively (validators, loggers, serialisers) overflows the stack near 10,000. Bodies are
 * checked here, iteratively, before anything else touches them.
 */
export const MAX_JSON_DEPTH = 32;

export function exceedsDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
