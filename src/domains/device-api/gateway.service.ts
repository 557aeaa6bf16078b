// Gateways: one connected device that speaks for devices behind it (ThingsBoard IoT Gateway:
// Modbus, OPC-UA, BLE, CAN connectors). A child is known to its gateway by name; the first time a
// gateway names it, the child is found (a device of that name in the tenant) or created, and
// linked to the gateway. Commands and shared-attribute updates for a child go through its gateway.
import type { DeviceService } from '../devices/devices.service.js';
import type { PresenceTracker } from '../devices/presence.js';
import type { DeviceStateStore, GatewayChild } from '../../ports/device-state-store.js';
import type { DeviceRef } from './attributes.service.js';

/** Why: a gateway naming unbounded devices must not be able to fill the registry. */
export const MAX_CHILDREN_PER_GATEWAY = 10_000;
const MAX_NAME_LENGTH = 200;

export class GatewayError extends Error {}

export class GatewayService {
  private readonly byChild = new Map<string, GatewayChild>();
  private readonly byGateway = new Map<string, Map<string, GatewayChild>>();
  /** Children being looked up or created, so two messages naming a new child create it once. */
  private readonly pending = new Map<string, Promise<GatewayChild>>();

  constructor(
    private readonly store: DeviceStateStore,
    private readonly devices: DeviceService,
    private readonly presence: PresenceTracker,
  ) {}

  async start(): Promise<void> {
    for (const link of await this.store.listChildLinks()) this.remember(link);
  }

  /** The gateway a child is reached through, or null for a device that is not behind one. */
  gatewayOf(childId: string): GatewayChild | null {
    return this.byChild.get(childId) ?? null;
  }

  childrenOf(gatewayId: string): GatewayChild[] {
    return [...(this.byGateway.get(gatewayId)?.values() ?? [])];
  }

  /** The child device a gateway calls `name`, created (with `type`) on first sight. */
  async child(gateway: DeviceRef, name: unknown, type?: unknown): Promise<DeviceRef> {
    if (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME_LENGTH) throw new GatewayError(`device name must be 1..${MAX_NAME_LENGTH} characters`);
    const known = this.byGateway.get(gateway.deviceId)?.get(name);
    if (known) return { tenantId: known.tenantId, deviceId: known.childId };
    const key = `${gateway.deviceId}\u0000${name}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.findOrCreate(gateway, name, typeof type === 'string' && type.trim() ? type.trim().slice(0, 100) : undefined).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const link = await pending;
    return { tenantId: link.tenantId, deviceId: link.childId };
  }

  /** v1/gateway/connect: the child is reachable now. */
  async connected(gateway: DeviceRef, name: unknown, type?: unknown): Promise<DeviceRef> {
    const child = await this.child(gateway, name, type);
    this.presence.connected(child.tenantId, child.deviceId);
    return child;
  }

  /** v1/gateway/disconnect. */
  disconnected(gateway: DeviceRef, name: unknown): void {
    const link = typeof name === 'string' ? this.byGateway.get(gateway.deviceId)?.get(name) : undefined;
    if (link) this.presence.disconnected(link.childId);
  }

  forgetDevice(deviceId: string): void {
    const asChild = this.byChild.get(deviceId);
    if (asChild) {
      this.byChild.delete(deviceId);
      this.byGateway.get(asChild.gatewayId)?.delete(asChild.childName);
    }
    for (const link of this.childrenOf(deviceId)) this.byChild.delete(link.childId);
    this.byGateway.delete(deviceId);
  }

  private async findOrCreate(gateway: DeviceRef, name: string, type: string | undefined): Promise<GatewayChild> {
    if ((this.byGateway.get(gateway.deviceId)?.size ?? 0) >= MAX_CHILDREN_PER_GATEWAY) throw new GatewayError(`a gateway may have at most ${MAX_CHILDREN_PER_GATEWAY} devices`);
    const existing = (await this.devices.list(gateway.tenantId, { name, offset: 0, limit: 1000 })).items.find((d) => d.name === name && d.id !== gateway.deviceId);
    const childId = existing?.id ?? (await this.devices.create(gateway.tenantId, { name, type, labels: { gateway: gateway.deviceId } })).id;
    const link: GatewayChild = { tenantId: gateway.tenantId, gatewayId: gateway.deviceId, childId, childName: name };
    await this.store.linkChild(link);
    const previous = this.byChild.get(childId);
    if (previous) this.byGateway.get(previous.gatewayId)?.delete(previous.childName); // moved to another gateway
    this.remember(link);
    return link;
  }

  private remember(link: GatewayChild): void {
    this.byChild.set(link.childId, link);
    let children = this.byGateway.get(link.gatewayId);
    if (!children) this.byGateway.set(link.gatewayId, (children = new Map()));
    children.set(link.childName, link);
  }
}
