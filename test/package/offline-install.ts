/**
 * Installing the packed tarball into an empty folder without the network, as the pack test does.
 *
 * `npm install --offline <tarball>` cannot work here: resolving the tarball's dependency ranges
 * needs the registry's package documents, which npm's cache does not keep (ENOTCACHED on the
 * first dependency). So the folder gets a lockfile made from this project's package-lock.json
 * (its non-dev entries: the same versions the project is tested with, each tarball by integrity
 * from the cache) and `npm ci --offline` installs from it.
 *
 * better-sqlite3 is the one dependency whose install fetches: prebuild-install downloads a binary
 * from GitHub, else node-gyp compiles (minutes). It is handed the binary this checkout already
 * built, in prebuild-install's own tarball layout as a local prebuild, and its download host is
 * pointed at a closed loopback port, so a name mismatch falls back to compiling, never to the
 * network. onnxruntime-node's optional download is skipped as the project's own install does.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

export function writeAppWithLock(root: string, appDir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { modelgate: spec } },
    'node_modules/modelgate': { version: pkg.version, resolved: spec, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies: { modelgate: spec } }, null, 2));
  writeFileSync(join(appDir, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** The checkout's better-sqlite3 binary as the prebuild tarball prebuild-install looks for. */
export function localSqlitePrebuild(root: string, dir: string): string {
  const version = (JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const made = spawnSync('tar', ['-czf', join(dir, name), '-C', join(root, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`tar of the better-sqlite3 binary failed: ${made.stderr}`);
  return dir;
}

export function offlineInstallEnv(prebuilds: string): Record<string, string> {
  return {
    npm_config_nodedir: '/usr',
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    npm_config_better_sqlite3_local_prebuilds: prebuilds,
    npm_config_better_sqlite3_binary_host: 'http://127.0.0.1:9',
    npm_config_update_notifier: 'false',
  };
}
