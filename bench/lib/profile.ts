// Reads a V8 .cpuprofile and says where the time went while telemetry was being ingested: self
// time by package and by function.
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

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Functions that run only while telemetry is being ingested: they mark the load's time window. */
const INGEST_MARKERS = ['/domains/telemetry/payload.js', '/domains/telemetry/batch-codec.js'];

/**
 * Samples per node within the ingest window (from the 1st to the 99th percentile of the samples in
 * the ingest path), so start-up, device creation and the final storage check do not dilute what
 * the load costs. Null when the profile has no timeline or too little ingest in it.
 */
function ingestWindowHits(profile: CpuProfile): Map<number, number> | null {
  const { samples, timeDeltas } = profile;
  if (!samples || !timeDeltas || samples.length !== timeDeltas.length) return null;
  const marker = new Set(profile.nodes.filter((n) => INGEST_MARKERS.some((m) => n.callFrame.url.endsWith(m))).map((n) => n.id));
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of timeDeltas) times.push((t += d));
  const marked = times.filter((_, i) => marker.has(samples[i]!));
  if (marked.length < 100) return null;
  const from = marked[Math.floor(marked.length * 0.01)]!;
  const to = marked[Math.floor(marked.length * 0.99)]!;
  const hits = new Map<number, number>();
  samples.forEach((id, i) => {
    if (times[i]! >= from && times[i]! <= to) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

export async function summarizeProfile(dir: string, top = 12): Promise<ProfileSummary | null> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return null;
  const profile = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as CpuProfile;
  const hitsById = ingestWindowHits(profile);
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = hitsById ? (hitsById.get(n.id) ?? 0) : (n.hitCount ?? 0);
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
