// How Bus subjects map onto JetStream: one stream per subject root (the first token), so
// `telemetry` and a later `telemetry.<partition>` share the stream `<prefix>_telemetry` and
// its sequence numbers. The prefix goes on stream names and NATS subjects alike, so two
// deployments (or two test runs) on one NATS never see each other's data.
import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';

/** JetStream's answer to adding a stream whose name exists with another configuration. */
const STREAM_NAME_IN_USE = 10058;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export interface StreamLimits {
  /** Messages no consumer acknowledged within this age are dropped by the server. */
  maxAgeMs: number;
  /** Disk cap per stream; past it publishes are refused (503 to devices), never old data dropped. -1: none. */
  maxBytes: number;
  /** Window in which JetStream drops a re-sent message with the same id (not used by Vigil yet). */
  duplicateWindowMs: number;
  /**
   * Copies of each stream in a NATS cluster. With 3, a publish is acknowledged once a majority
   * stored it, which is what survives the loss of a NATS host (one server syncs to disk only
   * every sync_interval, 2 minutes by default).
   */
  replicas: number;
}

export interface StreamPlace {
  stream: string;
  /** The subject published to on NATS. */
  natsSubject: string;
}

export function checkPrefix(prefix: string): string {
  if (!TOKEN.test(prefix)) throw new Error(`invalid NATS name prefix "${prefix}": use letters, digits, _ and -`);
  return prefix;
}

export function checkDurableName(name: string): string {
  if (!TOKEN.test(name)) throw new Error(`invalid durable consumer name "${name}": use letters, digits, _ and -`);
  return name;
}

export function placeOf(prefix: string, subject: string): StreamPlace {
  if (!SUBJECT.test(subject)) throw new Error(`invalid subject ${subject}`);
  const root = subject.split('.')[0]!;
  return { stream: `${prefix}_${root}`, natsSubject: `${prefix}.${subject}` };
}

export function streamConfig(prefix: string, subject: string, limits: StreamLimits): Partial<StreamConfig> & { name: string } {
  const root = subject.split('.')[0]!;
  return {
    name: `${prefix}_${root}`,
    subjects: [`${prefix}.${root}`, `${prefix}.${root}.>`],
    storage: StorageType.File,
    // Interest: a message stays until every durable consumer acknowledged it (the embedded
    // log's compaction rule); max_age bounds what a consumer that never returns holds.
    retention: RetentionPolicy.Interest,
    discard: DiscardPolicy.New,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    duplicate_window: nanos(limits.duplicateWindowMs),
    num_replicas: limits.replicas,
  };
}

/** Creates the stream, or brings an existing one's limits and subjects up to date. */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== STREAM_NAME_IN_USE) throw err;
  }
  const { name, storage: _storage, retention: _retention, ...mutable } = config;
  try {
    await jsm.streams.update(name, mutable);
  } catch (err) {
    throw new Error(`JetStream stream ${name} exists with a configuration Vigil cannot update: ${(err as Error).message}`, { cause: err });
  }
}
