// Turns the embedded log's health into what an operator sees: metrics, log lines and a
// readiness check ("ingestLog" in /ready). See docs/operations.md.
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from '../../observability/logger.js';
import type { FileBus, FileBusEvent } from './file-bus.js';

export function fileBusEventReporter(metrics: Metrics, log: Logger): (event: FileBusEvent) => void {
  metrics.walWritable.set(1);
  return (event) => {
    switch (event.kind) {
      case 'write-failed':
        metrics.walWriteErrors.inc({ stage: event.stage });
        metrics.walWritable.set(0);
        log.error({ err: event.error, subject: event.subject, stage: event.stage }, `write-ahead log ${event.stage} failed; nothing of it was acknowledged, devices are told to retry`);
        break;
      case 'write-recovered':
        metrics.walWritable.set(1);
        log.warn({ subject: event.subject, failedForMs: event.failedForMs }, 'write-ahead log writes work again; accepting telemetry');
        break;
      case 'quarantined':
        metrics.walQuarantinedRecords.inc();
        log.error(
          { subject: event.subject, segment: event.segment, offset: event.offset, bytes: event.bytes, file: event.file },
          `damaged write-ahead record (checksum mismatch) skipped; its ${event.bytes} bytes are kept in ${event.file ?? '(copy failed)'}`,
        );
        break;
      case 'torn-tail':
        metrics.walTornTailBytes.inc(event.bytes);
        log.warn({ subject: event.subject, segment: event.segment, bytes: event.bytes }, 'cut an unacknowledged partial record from the end of the write-ahead log');
        break;
    }
  };
}

/** Not ready while a log's last write failed; ready with a note when records were quarantined. */
export function fileBusReadiness(bus: FileBus): { name: string; check: () => Promise<string | void> } {
  return {
    name: 'ingestLog',
    check: async () => {
      const status = bus.status();
      const failing = status.failing[0];
      if (failing) {
        throw new Error(`${failing.stage} failing since ${new Date(failing.sinceMs).toISOString()}: ${failing.message}`);
      }
      if (status.quarantineFiles.length > 0) {
        return `ok; ${status.quarantineFiles.length} damaged record(s) kept aside: ${status.quarantineFiles.join(', ')}`;
      }
    },
  };
}
