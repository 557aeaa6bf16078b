// `npm run bench:live-detection`: CPU per point of the live detection path (LiveDetectionService
// .observe) as the MQTT benchmark drives it: 100 devices, 5 numeric keys per message, one
// timestamp each (bench/lib/mqtt-load.ts payloads). Unlike `npm run bench:detectors` (the detector
// math alone) this includes the plumbing: series lookup, model memory, relational model, alarms.
// In-memory stores; a benchmark, not a test: numbers depend on the machine.
import { LiveDetectionService } from '../src/domains/analytics/live-detection.service.js';
import { createLogger } from '../src/observability/logger.js';
import type { PointBatch, TelemetryPoint } from '../src/ports/telemetry.js';

const DEVICES = 100;
const KEYS = 5;
const MESSAGES = Number(process.argv[2] ?? 400_000);

const silent = createLogger('silent');
const modelStore = { listModelSummaries: async () => [], loadModelStates: async () => [], saveModels: async () => undefined };
const policyStore = { listDetectorPolicies: async () => [] };
const alarms = { onChange: () => undefined, raise: async () => ({}) };
let raised = 0;
alarms.raise = async () => (raised++, {});
const detection = new LiveDetectionService(
  modelStore as never,
  policyStore as never,
  {} as never,
  { getDevice: async () => null } as never,
  alarms as never,
  silent,
  { univariateKind: 'auto', saveIntervalMs: 300_000, memoryBudgetBytes: 512 * 1024 * 1024, shutdownSaveMs: 1000, retrainIntervalMs: 86_400_000, retrainHistoryMs: 86_400_000 },
);
await detection.start();

const t0 = Date.UTC(2026, 0, 1);
function batch(seq: number): PointBatch {
  const device = seq % DEVICES;
  const ts = t0 + Math.floor(seq / DEVICES) * 20;
  const points: TelemetryPoint[] = [];
  for (let k = 0; k < KEYS; k++) points.push({ key: `k${k}`, ts, value: (seq % 1000) + k / 10 });
  return { tenantId: 't', deviceId: `device-${device}`, transport: 'mqtt', receivedAt: ts, points };
}

function run(from: number, to: number): number {
  const c0 = process.cpuUsage();
  for (let seq = from; seq < to; seq++) detection.observe(batch(seq));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / ((to - from) * KEYS);
}

// Learning (the first 400 points of every series, fits included), then steady state.
const learning = run(0, DEVICES * 500);
const steady = run(DEVICES * 500, DEVICES * 500 + MESSAGES);
console.log(JSON.stringify({ learningUsPerPoint: Math.round(learning * 100) / 100, steadyUsPerPoint: Math.round(steady * 100) / 100, alarms: raised, memory: detection.memoryStats() }));
await detection.stop();
