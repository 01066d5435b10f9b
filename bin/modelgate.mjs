#!/usr/bin/env node
// The package's command. The sources are TypeScript run through tsx's loader, so a clone works
// without a build step; the loader is registered here, before the CLI module is imported.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
