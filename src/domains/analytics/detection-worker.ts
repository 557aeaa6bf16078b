// The detection worker: LiveDetectionService on its own thread, so that scoring every accepted
// point (and the garbage its models make while they learn) does not hold up the thread that reads
// devices' sockets and acknowledges their data. The stores and the alarm service stay on the main
// thread; this side reaches them through request/reply messages (detection-worker-protocol.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { AlarmService } from '../alarms/alarms.service.js';
import { createLogger } from '../../observability/logger.js';
import { LiveDetectionService, type LiveDetectionOptions } from './live-detection.service.js';
import {
  fromWireError,
  toWireError,
  StringTable,
  unpackBatches,
  WORKER_PORTS,
  type FromWorker,
  type ToWorker,
  type WorkerPortName,
} from './detection-worker-protocol.js';

export interface DetectionWorkerData {
  options: LiveDetectionOptions;
  logLevel: string;
}

/** How often the model memory's figures go to the main thread (its metrics read them from there). */
const STATS_INTERVAL_MS = 1000;

const port = parentPort!;
const table = new StringTable();
let started: Promise<unknown> = Promise.resolve();
const { options, logLevel } = workerData as DetectionWorkerData;
const log = createLogger(logLevel).child({ component: 'analytics', thread: 'detection' });
const post = (message: FromWorker) => port.postMessage(message);

let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function call(portName: WorkerPortName, method: string, args: unknown[]): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    post({ type: 'call', id, port: portName, method, args });
  });
}

/** The main thread's port as an object with the methods this worker uses, each a remote call. */
function remote(portName: WorkerPortName): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of WORKER_PORTS[portName]) methods[method] = (...args) => call(portName, method, args);
  return methods;
}

const dismissalListeners: ((alarm: never, event: 'dismissed') => void)[] = [];
const alarms = {
  ...remote('alarms'),
  onChange: (listener: (alarm: never, event: 'dismissed') => void) => void dismissalListeners.push(listener),
};

const service = new LiveDetectionService(
  remote('store') as never,
  remote('policyStore') as never,
  remote('telemetry') as never,
  remote('metadata') as never,
  alarms as unknown as AlarmService,
  log,
  options,
);
service.onVerdict((verdict) => post({ type: 'verdict', verdict }));

const stats = setInterval(() => post({ type: 'stats', stats: service.memoryStats() }), STATS_INTERVAL_MS);
stats.unref();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'batches': {
      const strings = table.apply(message.packed);
      for (const batch of unpackBatches(message.packed, strings)) {
        try {
          service.observe(batch);
        } catch (err) {
          log.error({ err, deviceId: batch.deviceId }, 'scoring a batch failed');
        }
      }
      post({ type: 'done', points: message.packed.points });
      return;
    }
    case 'call': {
      const fn = (service as unknown as Record<string, (...args: unknown[]) => unknown>)[message.method]!;
      // Nothing is answered before the models known to storage are listed (start).
      const run = started.then(() => fn.apply(service, message.args));
      if (message.method === 'start') started = run.catch(() => undefined);
      run
        .then(
          (value) => {
            // Fresh figures after every command or query (cheap: they are rare), not only each second.
            post({ type: 'stats', stats: service.memoryStats() });
            post({ type: 'reply', id: message.id, ok: true, value });
          },
          (err) => post({ type: 'reply', id: message.id, ok: false, error: toWireError(err) }),
        );
      return;
    }
    case 'dismissed':
      for (const l of dismissalListeners) l(message.alarm as never, 'dismissed');
      return;
    case 'reply': {
      const w = waiting.get(message.id);
      if (!w) return;
      waiting.delete(message.id);
      if (message.ok) w.resolve(message.value);
      else w.reject(fromWireError(message.error));
      return;
    }
  }
});
