// Notification settings of a tenant (channels, policies, silences) and the delivery log.
import type { Channel, Delivery, DeliveryFilter, NotificationPolicy, Silence } from '../domains/notifications/notification.js';

export type NotificationKind = 'channel' | 'policy' | 'silence';

export interface NotificationStore {
  init(): Promise<void>;
  putChannel(channel: Channel): Promise<void>;
  putPolicy(policy: NotificationPolicy): Promise<void>;
  putSilence(silence: Silence): Promise<void>;
  listChannels(tenantId: string): Promise<Channel[]>;
  listPolicies(tenantId: string): Promise<NotificationPolicy[]>;
  listSilences(tenantId: string): Promise<Silence[]>;
  /** Deletes one channel, policy or silence of the tenant. */
  deleteItem(kind: NotificationKind, tenantId: string, id: string): Promise<boolean>;
  /** Inserts or replaces a delivery by id. */
  putDelivery(delivery: Delivery): Promise<void>;
  listDeliveries(tenantId: string, filter: DeliveryFilter): Promise<{ items: Delivery[]; total: number }>;
  /** Deliveries not finished (pending, retrying), every tenant: resumed at start. */
  unfinishedDeliveries(): Promise<Delivery[]>;
  close(): Promise<void>;
}
