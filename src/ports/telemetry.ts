// The one normalised shape that crosses every boundary: a batch of points from one device.
export type TelemetryValue = number | boolean | string;

export interface TelemetryPoint {
  key: string;
  /** Epoch milliseconds. */
  ts: number;
  value: TelemetryValue;
}

export type Transport = 'mqtt' | 'http' | 'coap' | 'ws' | 'internal';

export interface PointBatch {
  tenantId: string;
  deviceId: string;
  transport: Transport;
  /** When Vigil accepted the batch (epoch ms): the start of end-to-end latency. */
  receivedAt: number;
  points: TelemetryPoint[];
}

/** A batch that has been through the durable log, with the log's sequence number. */
export interface SequencedBatch extends PointBatch {
  seq: number;
}

/**
 * A batch as the durable log holds it: its sequence number and its bus encoding
 * (domains/telemetry/batch-codec.ts). Shaped like a bus message, so a consumer hands the messages
 * it read to a store as they are, with no object made per point.
 */
export interface EncodedBatch {
  seq: number;
  data: Uint8Array;
}
