// The notifications domain assembled: service (API), notifier (alarm → deliveries), delivery
// queue (attempts, retries, dead letters). app.ts hands in the stores; this wires the rest.
import type { AlarmService } from '../alarms/alarms.service.js';
import type { NotificationStore } from '../../ports/notification-store.js';
import type { RuleStore } from '../../ports/rule-store.js';
import { DeliveryQueue } from './delivery-queue.js';
import { NotificationService } from './notifications.service.js';
import { Notifier, type DeliveryPayload } from './notifier.js';
import type { SecretBox } from './secret-box.js';
import { send } from './senders.js';

export interface NotificationsOptions {
  store: NotificationStore;
  rules: RuleStore;
  alarms: AlarmService;
  secrets: SecretBox;
  clock: () => number;
  /** One attempt's limit (connect + response). */
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  /** A device's labels (silences by label). */
  deviceLabels?: (tenantId: string, deviceId: string) => Promise<Record<string, string>>;
  /** Tenants whose pending escalations are re-armed at start. */
  tenantIds: string[];
  onError: (err: unknown, context: string) => void;
}

export interface Notifications {
  service: NotificationService;
  notifier: Notifier;
  queue: DeliveryQueue;
  stop(): Promise<void>;
}

/** Attempts in flight at once: enough that one hanging receiver leaves the others flowing. */
const CONCURRENCY = 16;

export async function startNotifications(o: NotificationsOptions): Promise<Notifications> {
  const service = new NotificationService(o.store, o.secrets, o.clock);
  const queue = new DeliveryQueue(
    o.store,
    async (d) => {
      const payload = d.payload as DeliveryPayload;
      const destination = await service.destination(d.tenantId, d.channelId, payload);
      return send(destination, { ...payload.message, sentAt: o.clock() }, { deliveryId: d.id, timeoutMs: o.timeoutMs });
    },
    { maxAttempts: o.maxAttempts, backoffMs: o.backoffMs, concurrency: CONCURRENCY, clock: o.clock, onError: o.onError },
  );
  const notifier = new Notifier(o.store, o.rules, queue, o.alarms, o.clock, o.onError, o.deviceLabels ?? null);
  service.onChange = (tenantId) => notifier.invalidate(tenantId);
  o.alarms.onChange(notifier.handle);
  notifier.start(1000);
  await notifier.rearm(o.tenantIds);
  await queue.resume();
  return {
    service,
    notifier,
    queue,
    async stop() {
      await notifier.stop();
      await queue.stop();
    },
  };
}
