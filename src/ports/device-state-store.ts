// Per-device state the device API keeps beside telemetry: attributes in three scopes (with a
// history of every change) and server-to-device RPC calls with their status. A narrow port of its
// own, so the MetadataStore stays about tenants, users and the device registry.

/** client: reported by the device; shared: set by the server, sent to the device; server: never sent. */
export type AttributeScope = 'client' | 'shared' | 'server';
export const ATTRIBUTE_SCOPES: readonly AttributeScope[] = ['client', 'shared', 'server'];

/** Attribute values are any JSON value (string, number, boolean, object, array). */
export type AttributeValue = unknown;

export interface Attribute {
  scope: AttributeScope;
  key: string;
  value: AttributeValue;
  updatedAt: number;
}

export interface AttributeChange {
  scope: AttributeScope;
  key: string;
  /** null when deleted. */
  value: AttributeValue;
  deleted: boolean;
  changedAt: number;
  /** Who made the change: 'device', 'user:<id>', 'provisioning', 'firmware'... */
  source: string;
}

export type RpcStatus = 'queued' | 'sent' | 'delivered' | 'succeeded' | 'failed' | 'expired';
export const RPC_FINAL_STATUSES: ReadonlySet<RpcStatus> = new Set(['succeeded', 'failed', 'expired']);

export interface RpcCall {
  id: string;
  tenantId: string;
  deviceId: string;
  /** The integer id the device sees in the topic (v1/devices/me/rpc/request/{requestId}). */
  requestId: number;
  method: string;
  params: unknown;
  oneway: boolean;
  persistent: boolean;
  status: RpcStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  response: unknown;
  error: string | null;
}

export interface RpcUpdate {
  status: RpcStatus;
  updatedAt: number;
  response?: unknown;
  error?: string | null;
}

export interface GatewayChild {
  tenantId: string;
  gatewayId: string;
  childId: string;
  /** The name the gateway uses for the child ("Device A" in v1/gateway/telemetry). */
  childName: string;
}

export interface DeviceStateStore {
  init(): Promise<void>;
  /** Upserts values in one scope and appends each change to the history. */
  setAttributes(tenantId: string, deviceId: string, scope: AttributeScope, values: Map<string, AttributeValue>, at: number, source: string): Promise<void>;
  /** Removes keys in one scope; returns the keys that existed (and were deleted). */
  deleteAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys: string[], at: number, source: string): Promise<string[]>;
  /** Current attributes of one scope (all of them, or only these keys), ordered by key. */
  getAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys?: string[]): Promise<Attribute[]>;
  /** Changes, newest first. */
  attributeHistory(tenantId: string, deviceId: string, filter: { scope?: AttributeScope; key?: string; limit: number }): Promise<AttributeChange[]>;

  createRpc(call: RpcCall): Promise<void>;
  /**
   * Applies an update only if it moves the call forward (queued → sent → delivered → final; a final
   * status is never overwritten); returns the call as it is after.
   */
  updateRpc(tenantId: string, id: string, update: RpcUpdate): Promise<RpcCall | null>;
  getRpc(tenantId: string, id: string): Promise<RpcCall | null>;
  findRpcByRequestId(deviceId: string, requestId: number): Promise<RpcCall | null>;
  /** Newest first. */
  listRpc(tenantId: string, deviceId: string, filter: { status?: RpcStatus; offset: number; limit: number }): Promise<RpcCall[]>;
  /** Calls not final yet (queued, sent, delivered), oldest first, across devices or for one. */
  openRpc(deviceId?: string): Promise<RpcCall[]>;
  /** The highest request id used for the device (0 if none). */
  lastRpcRequestId(deviceId: string): Promise<number>;

  /** Records that a gateway speaks for a child device known to it by this name. */
  linkChild(link: GatewayChild): Promise<void>;
  /** Every gateway-child link (loaded once at start; small: one row per child device). */
  listChildLinks(): Promise<GatewayChild[]>;

  /** Removes everything kept for the device, including links where it is the gateway or the child. */
  deleteDevice(tenantId: string, deviceId: string): Promise<void>;
  close(): Promise<void>;
}
