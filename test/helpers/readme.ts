// Reads README.md as a user does: its sections, the fenced sh blocks in them, and the commands in
// a block (continuation lines joined, comments kept beside the command they introduce).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export function readme(): string {
  return readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
}

/** The text of a "## title" section, up to the next "## " heading. */
export function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const rest = markdown.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The bodies of the ```sh fenced blocks, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

export interface ShellCommand {
  /** The command as a shell line (continuations joined). */
  command: string;
  /** The comment lines just above it, and a trailing comment on its line, if any. */
  comment: string;
}

export function shellCommands(block: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  let comment: string[] = [];
  let pending: string[] = [];
  for (const line of block.split('\n')) {
    if (pending.length === 0 && /^\s*#/.test(line)) {
      comment.push(line.replace(/^\s*#\s?/, ''));
      continue;
    }
    if (pending.length === 0 && line.trim() === '') {
      comment = [];
      continue;
    }
    pending.push(line);
    if (line.endsWith('\\')) continue;
    const command = pending.join('\n');
    pending = [];
    out.push({ command, comment: comment.join('\n') });
    comment = [];
  }
  return out;
}
