// A simulated device on CoAP: confirmable POST /api/v1/{token}/telemetry, acknowledged by
// 2.04 Changed once Vigil holds the points. A new UDP agent per link, as separate devices
// would have; the link only moves bytes (retries and backoff are the device's, see device.ts).
import { Agent, request as coapRequest, type IncomingMessage } from 'coap';
import type { DeviceLink, LinkOptions, ServerCommand } from './links.js';

/** RFC 7252 §4.6: stay under ~1 KiB of payload per datagram unless the path is known. */
const SINGLE_DATAGRAM_BYTES = 1024;

export class CoapLink implements DeviceLink {
  readonly transport = 'coap';
  onDown?: (err: Error) => void;
  onCommand?: (command: ServerCommand) => void;
  private agent: Agent | null = null;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly o: LinkOptions) {
    const url = new URL(o.coapUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 5683);
  }

  async connect(): Promise<void> {
    // CoAP has no session; the first send shows whether Vigil answers.
    this.agent ??= new Agent({ type: 'udp4' });
  }

  send(payload: string): Promise<void> {
    const agent = this.agent;
    if (!agent) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('CoAP response timeout')), this.o.ackTimeoutMs ?? 10_000);
      const req = coapRequest({
        hostname: this.host,
        port: this.port,
        pathname: `/api/v1/${this.o.token}/telemetry`,
        method: 'POST',
        confirmable: true,
        agent,
      });
      req.setOption('Content-Format', 'application/json');
      // A catch-up batch outgrows one datagram: send it block-wise in 1 KiB blocks (SZX 6).
      if (Buffer.byteLength(payload) > SINGLE_DATAGRAM_BYTES) req.setOption('Block1', Buffer.of(6));
      req.on('response', (res: IncomingMessage & { code: string }) => {
        clearTimeout(timer);
        if (res.code === '2.04' || res.code === '2.01') resolve();
        else reject(Object.assign(new Error(`telemetry answered ${res.code} ${res.payload.toString()}`), { status: coapStatus(res.code) }));
      });
      req.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  async reply(): Promise<void> {
    // Server-to-device RPC over CoAP (observe) does not exist in Vigil yet.
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = null;
    agent?.close();
  }
}

/** "4.29" → 429, so the device's retry logic treats CoAP answers like HTTP statuses. */
function coapStatus(code: string): number {
  const [cls, detail] = code.split('.');
  return Number(cls) * 100 + Number(detail);
}
