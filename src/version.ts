// The version users see (`vigil --version`, the OpenAPI document): package.json's, read at run
// time so a release bumps one place. dist/src/version.js sits two levels below the package root.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
