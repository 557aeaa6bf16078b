// Prometheus metrics of one Vigil process, on its own registry so tests can run several apps.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createStorageHealthMetrics } from './storage-metrics.js';
import { CheapHistogram, cheapCounter } from './cheap-metrics.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });
  return {
    registry,
    ...createStorageHealthMetrics(registry),
    // The three metrics taken with every accepted message are the cheap kind (cheap-metrics.ts).
    pointsAccepted: cheapCounter('vigil_points_accepted_total', 'Telemetry points durably accepted, by transport', 'transport', registry),
    messagesRejected: new Counter({
      name: 'vigil_ingest_rejected_total',
      help: 'Telemetry messages or requests rejected, by transport and reason',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    batchPoints: new CheapHistogram(
      'vigil_ingest_batch_points',
      'Points per accepted message or request',
      'transport',
      [1, 2, 5, 10, 20, 50, 100, 500, 1000, 5000, 20000],
      registry,
    ),
    acceptLatency: new CheapHistogram(
      'vigil_ingest_accept_latency_seconds',
      'From receipt of a message to its durable acknowledgement',
      'transport',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registry,
    ),
    storeLatency: new Histogram({
      name: 'vigil_ingest_store_latency_seconds',
      help: 'From receipt of a message to its points being queryable in storage',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    storageWrites: new Histogram({
      name: 'vigil_storage_write_points',
      help: 'Points per storage transaction',
      buckets: [10, 100, 1000, 5000, 10000, 50000, 100000],
      registers: [registry],
    }),
    storageErrors: new Counter({
      name: 'vigil_storage_write_errors_total',
      help: 'Failed storage transactions (retried from the ingest log)',
      registers: [registry],
    }),
    connectedDevices: new Gauge({
      name: 'vigil_connected_devices',
      help: 'Devices with an open connection, by transport',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request durations by method, route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rollupsReady: new Gauge({
      name: 'vigil_rollups_ready',
      help: '1 once the aggregate rollups are verified (or rebuilt) after start; until then long aggregates read raw points',
      registers: [registry],
    }),
    liveClients: new Gauge({
      name: 'vigil_live_clients',
      help: 'Connected Socket.IO clients',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
