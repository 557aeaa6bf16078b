#!/usr/bin/env node
// Builds the web console (web/ → web/dist) with a type check and Vite, unless web/dist is newer
// than every source, so `npm start` and `npm run build` stay fast when the console is unchanged.
// Usage: node scripts/build-web.js [--force]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const web = 'web';
const output = join(web, 'dist', 'index.html');
const force = process.argv.includes('--force');

function newestSourceMs(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) newest = Math.max(newest, newestSourceMs(full));
    else if (!/\.test\.tsx?$/.test(name)) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

const sources = [join(web, 'index.html'), join(web, 'vite.config.ts'), join(web, 'tsconfig.json'), 'package-lock.json'];
const newest = Math.max(newestSourceMs(join(web, 'src')), ...sources.filter(existsSync).map((f) => statSync(f).mtimeMs));
if (!force && existsSync(output) && statSync(output).mtimeMs > newest) process.exit(0);

function run(bin, args) {
  const result = spawnSync(join('node_modules', '.bin', bin), args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
console.error('building the web console (web/ → web/dist)');
run('tsc', ['-p', join(web, 'tsconfig.json')]);
run('vite', ['build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn']);
