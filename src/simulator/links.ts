// How a simulated device reaches Vigil: the same device-facing conventions real firmware uses
// (ThingsBoard's MQTT topics, username = access token; HTTP and CoAP POST /api/v1/{token}/telemetry).
// A link only moves bytes; buffering, retries and backoff belong to the device (device.ts).
import mqtt, { type MqttClient } from 'mqtt';
import { CoapLink } from './coap-link.js';

export type TransportName = 'mqtt' | 'http' | 'coap';

export type ServerCommand =
  | { kind: 'rpc'; requestId: string; method: string; params: unknown }
  | { kind: 'attributes'; data: Record<string, unknown> };

export interface DeviceLink {
  readonly transport: TransportName;
  /** Opens the connection; rejects when the server cannot be reached or refuses the device. */
  connect(): Promise<void>;
  /** Sends one telemetry payload; resolves once the server acknowledged it (PUBACK, HTTP 2xx). */
  send(payload: string): Promise<void>;
  /** Answers an RPC request from the server. */
  reply(requestId: string, result: unknown): Promise<void>;
  /** Called when an open connection is lost. */
  onDown?: (err: Error) => void;
  onCommand?: (command: ServerCommand) => void;
  close(): Promise<void>;
}

export interface LinkOptions {
  token: string;
  clientId: string;
  httpUrl: string;
  mqttUrl: string;
  /** coap://host:port of Vigil's CoAP device API. */
  coapUrl: string;
  /** How long a send may wait for its acknowledgement before the link counts as broken. */
  ackTimeoutMs?: number;
}

export class TransportUnavailableError extends Error {}

export function createLink(transport: TransportName, o: LinkOptions): DeviceLink {
  if (transport === 'mqtt') return new MqttLink(o);
  if (transport === 'http') return new HttpLink(o);
  if (transport === 'coap') return new CoapLink(o);
  throw new TransportUnavailableError(`${transport} transport is not available yet`);
}

const RPC_REQUEST = 'v1/devices/me/rpc/request/';
const ATTRIBUTES = 'v1/devices/me/attributes';

class MqttLink implements DeviceLink {
  readonly transport = 'mqtt';
  private client: MqttClient | null = null;
  onDown?: (err: Error) => void;
  onCommand?: (command: ServerCommand) => void;

  constructor(private readonly o: LinkOptions) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      // reconnectPeriod 0: the device firmware owns reconnection and its backoff.
      const client = mqtt.connect(this.o.mqttUrl, {
        username: this.o.token,
        clientId: this.o.clientId,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
        keepalive: 30,
        clean: true,
      });
      let up = false;
      client.on('connect', () => {
        up = true;
        this.client = client;
        client.subscribe([`${RPC_REQUEST}+`, ATTRIBUTES], { qos: 1 }, () => undefined);
        resolve();
      });
      client.on('message', (topic, payload) => this.message(topic, payload));
      client.on('error', (err) => {
        if (!up) {
          client.end(true);
          reject(err);
        }
      });
      client.on('close', () => {
        if (!up) return reject(new Error('connection closed before CONNACK'));
        if (this.client === client) {
          this.client = null;
          client.end(true);
          this.onDown?.(new Error('connection lost'));
        }
      });
    });
  }

  private message(topic: string, payload: Buffer): void {
    let data: unknown;
    try {
      data = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // firmware ignores what it cannot parse
    }
    if (topic.startsWith(RPC_REQUEST)) {
      const req = (data ?? {}) as { method?: unknown; params?: unknown };
      this.onCommand?.({ kind: 'rpc', requestId: topic.slice(RPC_REQUEST.length), method: String(req.method), params: req.params });
    } else if (topic === ATTRIBUTES && data && typeof data === 'object') {
      // ThingsBoard sends either the attributes or {shared: {...}} in attribute responses.
      const d = data as Record<string, unknown>;
      this.onCommand?.({ kind: 'attributes', data: (d.shared as Record<string, unknown>) ?? d });
    }
  }

  send(payload: string): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('PUBACK timeout')), this.o.ackTimeoutMs ?? 10_000);
      client.publish('v1/devices/me/telemetry', payload, { qos: 1 }, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  async reply(requestId: string, result: unknown): Promise<void> {
    this.client?.publish(`v1/devices/me/rpc/response/${requestId}`, JSON.stringify(result), { qos: 1 });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true).catch(() => undefined);
  }
}

class HttpLink implements DeviceLink {
  readonly transport = 'http';
  onDown?: (err: Error) => void;
  onCommand?: (command: ServerCommand) => void;

  constructor(private readonly o: LinkOptions) {}

  async connect(): Promise<void> {
    // HTTP has no session: "connected" means the server answers.
    const res = await fetch(`${this.o.httpUrl}/health`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`health check answered ${res.status}`);
  }

  async send(payload: string): Promise<void> {
    const res = await fetch(`${this.o.httpUrl}/api/v1/${this.o.token}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
      signal: AbortSignal.timeout(this.o.ackTimeoutMs ?? 10_000),
    });
    await res.arrayBuffer();
    if (!res.ok) throw Object.assign(new Error(`telemetry answered ${res.status}`), { status: res.status });
  }

  async reply(): Promise<void> {
    // Server-to-device RPC over HTTP (long polling) does not exist in Vigil yet.
  }

  async close(): Promise<void> {}
}
