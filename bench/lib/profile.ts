// Reads a V8 .cpuprofile and says where the time went: self time by package and by function.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  totalSamples: number;
  byArea: { area: string; percent: number }[];
  topFunctions: { fn: string; percent: number }[];
}

function area(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? 'garbage collection' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'native / program' : 'native';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node core (${url.slice(5).split('/')[0]})`;
  const src = /\/dist\/src\/(.+?)\.js/.exec(url);
  if (src) return `vigil ${src[1]!.split('/').slice(0, 2).join('/')}`;
  return url.split('/').slice(-2).join('/');
}

export async function summarizeProfile(dir: string, top = 12): Promise<ProfileSummary | null> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return null;
  const profile = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as { nodes: ProfileNode[] };
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    total += hits;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
    const f = `${n.callFrame.functionName || '(anonymous)'} (${a}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''})`;
    byFn.set(f, (byFn.get(f) ?? 0) + hits);
  }
  const pct = (x: number) => Math.round((1000 * x) / total) / 10;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalSamples: total,
    byArea: sorted(byArea).map(([a, n]) => ({ area: a, percent: pct(n) })),
    topFunctions: sorted(byFn).map(([fn, n]) => ({ fn, percent: pct(n) })),
  };
}
