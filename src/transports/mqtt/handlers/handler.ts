// The contract between the MQTT connection and the modules that handle one topic family each.
import type { DeviceIdentity } from '../../../domains/telemetry/ingest.service.js';
import type { ProtocolVersion } from '../codec.js';

export interface PublishProperties {
  userProperties?: Record<string, string | string[]>;
  responseTopic?: string;
  correlationData?: Buffer;
  contentType?: string;
  payloadFormatIndicator?: boolean;
}

export interface PublishContext {
  device: DeviceIdentity;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  protocolVersion: ProtocolVersion;
  /** MQTT 5 properties as the device sent them (user properties, response topic, correlation data). */
  properties: PublishProperties | undefined;
  /**
   * Publishes to this device on this connection (e.g. an RPC reply). With MQTT 5 request/response
   * the reply goes to the device's response topic with its correlation data. False when the
   * device is not subscribed to that topic (or is gone).
   */
  reply(topic: string, payload: Buffer | string): boolean;
}

/** What the device is told: reason 0 = stored. A message goes with a refusal (MQTT 5 reason string). */
export interface Outcome {
  reason: number;
  message?: string;
}

export const ACCEPTED: Outcome = Object.freeze({ reason: 0 });

export interface TopicHandler {
  /**
   * Handles one publish. Resolves with the outcome to acknowledge; rejects when the message could
   * not be stored for a reason that is not the device's (storage down): then nothing is
   * acknowledged and the connection is closed so the device sends it again.
   */
  handle(ctx: PublishContext): Promise<Outcome> | Outcome;
  /** Milliseconds until handle() could accept without a quota refusal (MQTT 3.1.1 backpressure). */
  waitMs?(device: DeviceIdentity): number;
}
