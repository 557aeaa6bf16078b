// Server-to-device commands (RPC) and the few device-to-server calls the server answers itself.
// Every call is stored with its status, so a command to a sleeping device waits for it:
//   two-way: queued → sent → delivered (device acknowledged / fetched it) → succeeded | failed | expired
//   one-way: queued → sent → succeeded (device acknowledged it) | expired
// Delivery is done by channels the transports register (MQTT push) and by HTTP long polls
// waiting here. Statuses only move forward; a final status is never overwritten.
import { randomUUID } from 'node:crypto';
import { AppError, Errors } from '../../errors.js';
import { RPC_FINAL_STATUSES, type DeviceStateStore, type RpcCall, type RpcStatus } from '../../ports/device-state-store.js';
import type { DeviceRef } from './attributes.service.js';

export interface SendRpcInput {
  method: string;
  params?: unknown;
  oneway?: boolean;
  timeoutMs?: number;
  persistent?: boolean;
}

/** Pushes a call to a connected device; true when written. onAcked runs when the device acknowledges it. */
export type RpcChannel = (call: RpcCall, onAcked: () => void) => boolean;

/** Limits advertised to devices through getSessionLimits (ThingsBoard SDKs read them on connect). */
export interface SessionLimits {
  maxPayloadSize: number;
  maxInflightMessages: number;
  /** ThingsBoard rate-limit syntax "count:seconds,…". */
  messagesRateLimit: string;
}

export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
/** Why a day: a persistent command to a device that sleeps overnight must still reach it. */
export const MAX_RPC_TIMEOUT_MS = 24 * 3600_000;
const SWEEP_INTERVAL_MS = 1000;

type FinalWaiter = (call: RpcCall) => void;

export class RpcService {
  private readonly channels: RpcChannel[] = [];
  /** Open calls' deadlines, so expiry needs no store query. */
  private readonly deadlines = new Map<string, { tenantId: string; expiresAt: number }>();
  private readonly finalWaiters = new Map<string, Set<FinalWaiter>>();
  private readonly pollers = new Map<string, Set<() => void>>();
  /** Bumped to end a device's long polls (disabled, credentials revoked): a poll started before gives up. */
  private readonly pollEpoch = new Map<string, number>();
  private readonly lastRequestId = new Map<string, Promise<number>>();
  private readonly settledListeners = new Set<(call: RpcCall) => void>();
  private sweepTimer: NodeJS.Timeout | null = null;

  /**
   * @param isOnline whether a device is connected or reported recently; a non-persistent call to an
   *   offline device fails at once instead of holding the caller until its timeout.
   */
  constructor(
    private readonly store: DeviceStateStore,
    private readonly limits: SessionLimits,
    private readonly isOnline: (deviceId: string) => boolean | Promise<boolean> = () => true,
  ) {}

  async start(): Promise<void> {
    for (const call of await this.store.openRpc()) this.deadlines.set(call.id, { tenantId: call.tenantId, expiresAt: call.expiresAt });
    this.sweepTimer = setInterval(() => void this.expireDue(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null; // pending polls see it and end
    for (const set of this.pollers.values()) for (const wake of [...set]) wake();
  }

  useChannel(channel: RpcChannel): void {
    this.channels.push(channel);
  }

  /** Runs when a call reaches its final status on this node (the cross-node relay announces it). */
  onSettled(listener: (call: RpcCall) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /**
   * Another node finished a call (the device answered there): an API caller waiting here reads the
   * final status from the shared store now, instead of at the call's deadline.
   */
  async settledElsewhere(tenantId: string, id: string): Promise<void> {
    if (!this.finalWaiters.has(id)) return;
    const call = await this.store.getRpc(tenantId, id);
    if (call && RPC_FINAL_STATUSES.has(call.status)) this.settle(call);
  }

  async send(device: DeviceRef, input: SendRpcInput): Promise<RpcCall> {
    const method = input.method.trim();
    if (!method) throw Errors.badRequest('method is required');
    const timeoutMs = input.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    if (!(timeoutMs > 0 && timeoutMs <= MAX_RPC_TIMEOUT_MS)) throw Errors.badRequest(`timeoutMs must be 1..${MAX_RPC_TIMEOUT_MS}`);
    const persistent = input.persistent ?? false;
    if (!persistent && !this.pollers.has(device.deviceId) && !(await this.isOnline(device.deviceId))) {
      throw new AppError('DEVICE_OFFLINE', 409, 'the device is offline; send with "persistent": true to deliver it when the device returns');
    }
    const now = Date.now();
    let call: RpcCall = {
      id: randomUUID(),
      tenantId: device.tenantId,
      deviceId: device.deviceId,
      requestId: await this.nextRequestId(device.deviceId),
      method,
      params: input.params ?? {},
      oneway: input.oneway ?? false,
      persistent,
      status: 'queued',
      createdAt: now,
      updatedAt: now,
      expiresAt: now + timeoutMs,
      response: null,
      error: null,
    };
    try {
      await this.store.createRpc(call);
    } catch {
      // Another node may have numbered a call to this device meanwhile (the shared store refuses a
      // request id twice): number again from the store, once.
      this.lastRequestId.delete(device.deviceId);
      call = { ...call, requestId: await this.nextRequestId(device.deviceId) };
      await this.store.createRpc(call);
    }
    this.deadlines.set(call.id, { tenantId: call.tenantId, expiresAt: call.expiresAt });
    await this.push(call);
    for (const wake of [...(this.pollers.get(device.deviceId) ?? [])]) wake();
    return (await this.store.getRpc(call.tenantId, call.id)) ?? call;
  }

  get(tenantId: string, id: string): Promise<RpcCall | null> {
    return this.store.getRpc(tenantId, id);
  }

  list(device: DeviceRef, filter: { status?: RpcStatus; offset: number; limit: number }): Promise<RpcCall[]> {
    return this.store.listRpc(device.tenantId, device.deviceId, filter);
  }

  /** Resolves when the call reaches a final status (it always does: at the latest it expires). */
  waitForFinal(call: RpcCall): Promise<RpcCall> {
    if (RPC_FINAL_STATUSES.has(call.status)) return Promise.resolve(call);
    return new Promise((resolve) => {
      let set = this.finalWaiters.get(call.id);
      if (!set) this.finalWaiters.set(call.id, (set = new Set()));
      set.add(resolve);
      // The status may have become final between the caller's read and now.
      void this.store.getRpc(call.tenantId, call.id).then((now) => now && RPC_FINAL_STATUSES.has(now.status) && this.settle(now));
    });
  }

  /** A device connected (subscribed to RPC requests): push what is waiting for it, oldest first. */
  async deliverPending(deviceId: string): Promise<void> {
    for (const call of await this.store.openRpc(deviceId)) {
      if (call.status === 'queued' || call.status === 'sent') await this.push(call);
    }
  }

  /** The device's reply to a two-way call, by the request id in the topic or URL. */
  async respond(device: DeviceRef, requestId: number, response: unknown): Promise<RpcCall | null> {
    const call = await this.store.findRpcByRequestId(device.deviceId, requestId);
    if (!call || call.tenantId !== device.tenantId || RPC_FINAL_STATUSES.has(call.status)) return null;
    const failed = isErrorReply(response);
    return this.update(call, {
      status: failed ? 'failed' : 'succeeded',
      response,
      error: failed ? String((response as { error: unknown }).error) : null,
    });
  }

  /**
   * HTTP long poll (GET /api/v1/{token}/rpc): the oldest call waiting for this device, marked
   * delivered as it is handed over, or null after timeoutMs.
   */
  async poll(device: DeviceRef, timeoutMs: number): Promise<RpcCall | null> {
    const deadline = Date.now() + timeoutMs;
    const epoch = this.pollEpoch.get(device.deviceId) ?? 0;
    for (;;) {
      const next = (await this.store.openRpc(device.deviceId)).find((c) => c.status === 'queued' || c.status === 'sent');
      if (next) return this.update(next, { status: next.oneway ? 'succeeded' : 'delivered' });
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        let set = this.pollers.get(device.deviceId);
        if (!set) this.pollers.set(device.deviceId, (set = new Set()));
        const wake = () => {
          clearTimeout(timer);
          set!.delete(wake);
          if (set!.size === 0) this.pollers.delete(device.deviceId);
          resolve();
        };
        const timer = setTimeout(wake, left);
        set.add(wake);
      });
      if (!this.sweepTimer) return null; // stopped
      if ((this.pollEpoch.get(device.deviceId) ?? 0) !== epoch) return null; // ended (device disabled)
    }
  }

  /** Ends the device's open long polls (they answer "nothing arrived"; the next one is refused). */
  endPolls(deviceId: string): void {
    this.pollEpoch.set(deviceId, (this.pollEpoch.get(deviceId) ?? 0) + 1);
    for (const wake of [...(this.pollers.get(deviceId) ?? [])]) wake();
  }

  /** Device-to-server RPC answered by Vigil itself; unknown methods get {"error": …} as ThingsBoard does. */
  answerDeviceCall(method: unknown): unknown {
    switch (method) {
      case 'getSessionLimits': {
        const rateLimits = { messages: this.limits.messagesRateLimit, telemetryMessages: this.limits.messagesRateLimit, telemetryDataPoints: '' };
        // Older ThingsBoard SDKs read "rateLimit", newer ones "rateLimits": send both.
        return { maxPayloadSize: this.limits.maxPayloadSize, maxInflightMessages: this.limits.maxInflightMessages, rateLimits, rateLimit: rateLimits };
      }
      case 'getTime':
      case 'getCurrentTime':
        return { time: Date.now() };
      default:
        return { error: typeof method === 'string' && method ? `method ${method} is not supported by the server` : 'method is required' };
    }
  }

  forgetDevice(deviceId: string): void {
    this.lastRequestId.delete(deviceId);
    this.pollEpoch.delete(deviceId);
    for (const wake of [...(this.pollers.get(deviceId) ?? [])]) wake();
  }

  // ---- internals ----

  private async push(call: RpcCall): Promise<void> {
    for (const channel of this.channels) {
      let written = false;
      try {
        written = channel(call, () => void this.update(call, { status: call.oneway ? 'succeeded' : 'delivered' }));
      } catch {
        written = false;
      }
      if (written) {
        if (call.status === 'queued') await this.update(call, { status: 'sent' });
        return;
      }
    }
  }

  private async update(call: RpcCall, change: { status: RpcStatus; response?: unknown; error?: string | null }): Promise<RpcCall | null> {
    // The store moves statuses forward only, so an acknowledgement racing the "sent" write is kept.
    const after = await this.store.updateRpc(call.tenantId, call.id, { ...change, updatedAt: Date.now() });
    if (after && RPC_FINAL_STATUSES.has(after.status)) {
      this.settle(after);
      for (const listener of this.settledListeners) listener(after);
    }
    return after;
  }

  private settle(call: RpcCall): void {
    this.deadlines.delete(call.id);
    const waiters = this.finalWaiters.get(call.id);
    this.finalWaiters.delete(call.id);
    for (const w of waiters ?? []) w(call);
  }

  private async expireDue(): Promise<void> {
    const now = Date.now();
    for (const [id, d] of [...this.deadlines]) {
      if (d.expiresAt > now) continue;
      this.deadlines.delete(id);
      const call = await this.store.getRpc(d.tenantId, id).catch(() => null);
      if (call && !RPC_FINAL_STATUSES.has(call.status)) {
        await this.update(call, { status: 'expired', error: 'timed out before the device answered' }).catch(() => null);
      } else if (call) this.settle(call);
    }
  }

  private nextRequestId(deviceId: string): Promise<number> {
    const previous = this.lastRequestId.get(deviceId) ?? this.store.lastRpcRequestId(deviceId);
    const next = previous.then((n) => n + 1);
    this.lastRequestId.set(
      deviceId,
      next.catch(() => this.store.lastRpcRequestId(deviceId)),
    );
    return next;
  }
}

/** A device reply {"error": "..."} (and nothing else) marks the call failed. */
function isErrorReply(response: unknown): boolean {
  return typeof response === 'object' && response !== null && !Array.isArray(response) && Object.keys(response).length === 1 && 'error' in response;
}
