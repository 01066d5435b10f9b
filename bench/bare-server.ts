// The bare baseline lives in bare-server.mjs (plain JavaScript, so it runs without a loader like
// ModelGate from dist/); this name stays for scripts that start it through tsx.
import './bare-server.mjs';
