// Which code the package command runs: the compiled JavaScript in dist/ or the TypeScript in src/.
// Shared by bin/modelgate.mjs (the choice) and scripts/build.mjs (build when stale). Node built-ins
// only: this runs before anything is known about the install.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time under `dir` (0 when it does not exist). */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = statSync(dir).mtimeMs; // a deleted file changes its folder's mtime
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * fresh: dist/ was built completely (its stamp is written last) after the last change to src/ and
 * the build config, or there are no sources to be older than (an installed package).
 * buildable: the sources and the compiler are here, so dist/ can be (re)built.
 */
export function distState(root = PACKAGE_ROOT) {
  const stamp = join(root, 'dist', '.build-stamp');
  const hasSources = existsSync(join(root, 'src', 'cli', 'main.ts'));
  const built = existsSync(stamp) && existsSync(join(root, 'dist', 'cli', 'main.js'));
  const sourcesChanged = hasSources ? Math.max(newestMtime(join(root, 'src')), existsSync(join(root, 'tsconfig.build.json')) ? statSync(join(root, 'tsconfig.build.json')).mtimeMs : 0) : 0;
  const fresh = built && (!hasSources || statSync(stamp).mtimeMs >= sourcesChanged);
  return { built, fresh, hasSources, buildable: hasSources && resolvable(root, 'typescript/package.json') };
}

export function resolvable(root, specifier) {
  try {
    createRequire(join(root, 'package.json')).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * MODELGATE_RUN_FROM=dist|src forces one (the test suite forces src, so it never runs a stale
 * build); unset, dist/ when fresh, else the sources through tsx when it is installed (a
 * development checkout), else an error saying how to build.
 */
export function chooseEntry({ runFrom, state, tsxInstalled }) {
  if (runFrom !== undefined && runFrom !== '' && runFrom !== 'dist' && runFrom !== 'src') {
    return { kind: 'error', message: `MODELGATE_RUN_FROM must be "dist" or "src", not "${runFrom}"` };
  }
  if (runFrom === 'dist') {
    return state.built ? { kind: 'dist' } : { kind: 'error', message: 'MODELGATE_RUN_FROM=dist but dist/ has not been built: run `npm run build`' };
  }
  if (runFrom === 'src') {
    if (!state.hasSources) return { kind: 'error', message: 'MODELGATE_RUN_FROM=src but this install has no src/ (a packed install runs dist/)' };
    return tsxInstalled ? { kind: 'src' } : { kind: 'error', message: 'MODELGATE_RUN_FROM=src needs tsx, a dev dependency: run `npm install` in the checkout' };
  }
  if (state.fresh) return { kind: 'dist' };
  if (state.hasSources && tsxInstalled) {
    return { kind: 'src', notice: `dist/ is ${state.built ? 'older than src/' : 'not built'}; running the TypeScript sources through tsx (\`npm run build\` compiles them)` };
  }
  return { kind: 'error', message: `dist/ is ${state.built ? 'older than src/' : 'not built'} and tsx is not installed: run \`npm run build\` (or \`npm start\`, which builds first)` };
}
