// Turns the embedded log's health into what an operator sees: metrics, log lines and a
// readiness check ("ingestLog" in /ready). See docs/operations.md.
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from '../../observability/logger.js';
import type { FileBus, FileBusEvent } from './file-bus.js';

export function fileBusEventReporter(metrics: Metrics, log: Logger): (event: FileBusEvent) => void {
  metrics.walWritable.set(1);
  // While the disk stays full every retried write fails: one line when it starts, then one a minute.
  const repeatLogMs = 60_000;
  let lastLoggedMs: number | null = null;
  let failuresSinceLogged = 0;
  return (event) => {
    switch (event.kind) {
      case 'write-failed':
        metrics.walWriteErrors.inc({ stage: event.stage });
        metrics.walWritable.set(0);
        failuresSinceLogged++;
        if (lastLoggedMs === null || Date.now() - lastLoggedMs >= repeatLogMs) {
          lastLoggedMs = Date.now();
          log.error(
            { err: event.error, subject: event.subject, stage: event.stage, failures: failuresSinceLogged },
            `write-ahead log ${event.stage} failed; nothing of it was acknowledged, devices are told to retry`,
          );
          failuresSinceLogged = 0;
        }
        break;
      case 'write-recovered':
        metrics.walWritable.set(1);
        log.warn({ subject: event.subject, failedForMs: event.failedForMs }, 'write-ahead log writes work again; accepting telemetry');
        // The next failure is news again.
        lastLoggedMs = null;
        failuresSinceLogged = 0;
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
