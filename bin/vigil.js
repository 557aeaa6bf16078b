#!/usr/bin/env node
// Entry point of the `vigil` command. The TypeScript sources compile to dist/ (`npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'main.js');
if (!existsSync(main)) {
  console.error('vigil: not built yet; run `npm run build` (npm start does it for you)');
  process.exit(1);
}
await import(pathToFileURL(main).href);
