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
  /** The batch as it is on the bus (batch-codec.ts), when at hand: a store may keep it as is. */
  encoded?: Uint8Array;
}
