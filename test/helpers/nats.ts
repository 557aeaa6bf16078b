// Test-side NATS helpers: a unique prefix per test (its own streams) and their removal after.
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { serviceUrls, uniqueName } from './services.js';

const prefixes = new Set<string>();

/** A stream/subject prefix no other run uses; deleteTestStreams() removes what it created. */
export function testPrefix(): string {
  const prefix = uniqueName('vt');
  prefixes.add(prefix);
  return prefix;
}

export async function deleteTestStreams(): Promise<void> {
  if (prefixes.size === 0) return;
  const nc = await connect({ servers: serviceUrls.nats });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if ([...prefixes].some((p) => name.startsWith(`${p}_`))) await jsm.streams.delete(name);
    }
    prefixes.clear();
  } finally {
    await nc.close();
  }
}
