/**
 * The console's build: Preact through Vite's own JSX transform (oxc; no Babel preset), into
 * web/dist with content-hashed files under assets/ (served with a year-long cache). Nothing is
 * inlined: the server's CSP allows scripts and styles only from its own origin.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // `npx vite web` for work on the page: hot reload, API calls passed to a running server.
  server: { proxy: { '/v1': process.env.MODELGATE_URL ?? 'http://127.0.0.1:8080' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // A data: URL would be fine for images under the CSP, but not for fonts or scripts: inline nothing.
    assetsInlineLimit: 0,
    // Chromium, Firefox and Safari of the last years preload modules themselves; the polyfill is dead weight.
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
