import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { renderSecurityDoc, SECURITY_DOC_PATH } from '../../scripts/security-doc.js';

test('docs/security.md shows the current permission tables', async () => {
  assert.equal(await readFile(SECURITY_DOC_PATH, 'utf8'), await renderSecurityDoc(), 'docs/security.md is stale: run `npm run openapi`');
});
