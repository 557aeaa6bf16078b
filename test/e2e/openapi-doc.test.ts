import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { generateOpenApi, OPENAPI_PATH } from '../../scripts/openapi.js';

test('docs/openapi.json is the document generated from the current route schemas', async () => {
  const committed = await readFile(OPENAPI_PATH, 'utf8');
  assert.equal(committed, await generateOpenApi(), 'docs/openapi.json is stale: run `npm run openapi`');
});
