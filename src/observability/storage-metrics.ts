// Metrics of the storage path's health: the write-ahead log, the data dir's free space and the
// storage writer. docs/operations.md ("When the disk fills or storage fails") explains each.
import { Counter, Gauge, type Registry } from 'prom-client';

export function createStorageHealthMetrics(registry: Registry) {
  return {
    walWriteErrors: new Counter({
      name: 'vigil_wal_write_errors_total',
      help: 'Failed write-ahead log writes, by stage (write, fsync, repair); nothing of a failed write was acknowledged',
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
    walWritable: new Gauge({
      name: 'vigil_wal_writable',
      help: '1 while the write-ahead log accepts writes, 0 since a write failed until one succeeds again',
      registers: [registry],
    }),
    walQuarantinedRecords: new Counter({
      name: 'vigil_wal_quarantined_records_total',
      help: 'Damaged write-ahead records found (failing their checksum), copied to the quarantine dir and skipped',
      registers: [registry],
    }),
    walTornTailBytes: new Counter({
      name: 'vigil_wal_torn_tail_bytes_total',
      help: 'Bytes of unacknowledged partial records cut from the end of the log at open',
      registers: [registry],
    }),
    ingestUnavailable: new Counter({
      name: 'vigil_ingest_unavailable_total',
      help: 'Telemetry refused with 503 (device told to retry), by reason: disk_space_low, log_write_failed',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    diskFreeBytes: new Gauge({
      name: 'vigil_disk_free_bytes',
      help: 'Free bytes on the file system of the data dir (as last measured)',
      registers: [registry],
    }),
    diskSpaceLow: new Gauge({
      name: 'vigil_disk_space_low',
      help: '1 while free space is below the configured floor (ingest refused), else 0',
      registers: [registry],
    }),
    storagePendingMessages: new Gauge({
      name: 'vigil_storage_pending_messages',
      help: 'Messages durable in the ingest log but not yet in storage',
      registers: [registry],
    }),
    storageStalled: new Gauge({
      name: 'vigil_storage_stalled',
      help: '1 while the storage writer fails repeatedly or makes no progress with messages pending, else 0',
      registers: [registry],
    }),
  };
}
