// Renders the permission tables (src/domains/auth/permissions.ts) into docs/security.md between
// its markers (`node dist/scripts/security-doc.js`, run by `npm run openapi` too). The rest of
// the document is written by hand; test/security/security-doc.test.ts fails when the tables are stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PERMISSIONS, ROLES, ROLE_PERMISSIONS, ROUTE_ACCESS, type RouteAccess } from '../src/domains/auth/permissions.js';

export const SECURITY_DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'security.md');
const START = '<!-- permission-tables:start (generated from src/domains/auth/permissions.ts; do not edit) -->';
const END = '<!-- permission-tables:end -->';

function who(access: RouteAccess): string {
  if (access === 'public') return 'anyone';
  if (access === 'device') return 'a device token';
  if (access === 'self') return 'any logged-in user (own account)';
  return ROLES.filter((r) => ROLE_PERMISSIONS[r].has(access)).join(', ');
}

export function renderTables(): string {
  const lines = ['### Roles and permissions', '', `| permission | ${ROLES.join(' | ')} |`, `| --- | ${ROLES.map(() => ':---:').join(' | ')} |`];
  for (const p of PERMISSIONS) lines.push(`| \`${p}\` | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].has(p) ? 'yes' : '')).join(' | ')} |`);
  lines.push('', '### Routes', '', '| route | needs | granted to |', '| --- | --- | --- |');
  for (const [route, access] of Object.entries(ROUTE_ACCESS)) lines.push(`| \`${route}\` | \`${access}\` | ${who(access)} |`);
  return `${START}\n${lines.join('\n')}\n${END}`;
}

/** The document with its generated region replaced by the current tables. */
export async function renderSecurityDoc(): Promise<string> {
  const doc = await readFile(SECURITY_DOC_PATH, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < 0) throw new Error(`docs/security.md lacks the markers ${START} … ${END}`);
  return doc.slice(0, from) + renderTables() + doc.slice(to + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SECURITY_DOC_PATH, await renderSecurityDoc());
  console.log(`wrote ${SECURITY_DOC_PATH}`);
}
