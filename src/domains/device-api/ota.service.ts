// OTA updates as ThingsBoard devices expect them. A package (firmware or software) is uploaded
// once; assigning it to a device sets the shared attributes fw_title, fw_version, fw_checksum,
// fw_checksum_algorithm, fw_size (sw_* for software), which reach the device like any shared
// update. The device downloads in chunks (MQTT v2/fw/request/{id}/chunk/{n}, or HTTP
// /api/v1/{token}/firmware?title=&version=&size=&chunk=) and reports fw_state as telemetry.
import { createHash, randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { OtaKind, OtaPackage, OtaPackageStore } from '../../ports/ota-package-store.js';
import type { DeviceService } from '../devices/devices.service.js';
import type { AttributeService, DeviceRef } from './attributes.service.js';

/** Why 64 MiB: large enough for Linux-gateway images, small enough to hold one in memory. */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;
/** Packages kept in memory while devices download them (a fleet update reads one package many times). */
const CACHED_PACKAGES = 4;

export const ATTRIBUTE_PREFIX: Record<OtaKind, string> = { firmware: 'fw', software: 'sw' };

export class OtaError extends Error {}

export class OtaService {
  private readonly cache = new Map<string, Buffer>();

  constructor(
    private readonly store: OtaPackageStore,
    private readonly attributes: AttributeService,
    private readonly devices: DeviceService,
  ) {}

  async upload(tenantId: string, input: { kind: OtaKind; title: string; version: string; deviceType?: string }, data: Buffer): Promise<OtaPackage> {
    if (data.length === 0) throw Errors.badRequest('the package is empty');
    if (data.length > MAX_PACKAGE_BYTES) throw Errors.payloadTooLarge(`a package may have at most ${MAX_PACKAGE_BYTES} bytes`);
    if (await this.store.findPackage(tenantId, input.kind, input.title, input.version)) {
      throw Errors.conflict(`${input.kind} ${input.title} ${input.version} already exists`);
    }
    const pkg: OtaPackage = {
      id: randomUUID(),
      tenantId,
      kind: input.kind,
      title: input.title,
      version: input.version,
      deviceType: input.deviceType ?? null,
      checksumAlgorithm: 'SHA256',
      checksum: createHash('sha256').update(data).digest('hex'),
      sizeBytes: data.length,
      createdAt: Date.now(),
    };
    await this.store.createPackage(pkg, data);
    return pkg;
  }

  list(tenantId: string, kind?: OtaKind) {
    return this.store.listPackages(tenantId, kind);
  }

  async get(tenantId: string, id: string): Promise<OtaPackage> {
    const pkg = await this.store.getPackage(tenantId, id);
    if (!pkg) throw Errors.notFound(`package ${id} not found`);
    return pkg;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deletePackage(tenantId, id))) throw Errors.notFound(`package ${id} not found`);
    this.cache.delete(id);
  }

  /** Assigns a package to one device: the device learns it through its shared attributes. */
  async assign(device: DeviceRef, packageId: string, source: string): Promise<OtaPackage> {
    const pkg = await this.get(device.tenantId, packageId);
    const p = ATTRIBUTE_PREFIX[pkg.kind];
    await this.attributes.set(
      device,
      'shared',
      { [`${p}_title`]: pkg.title, [`${p}_version`]: pkg.version, [`${p}_checksum`]: pkg.checksum, [`${p}_checksum_algorithm`]: pkg.checksumAlgorithm, [`${p}_size`]: pkg.sizeBytes },
      source,
    );
    return pkg;
  }

  /** Assigns to every device of a type; returns how many. */
  async assignToType(tenantId: string, packageId: string, deviceType: string, source: string): Promise<number> {
    await this.get(tenantId, packageId);
    const { items } = await this.devices.list(tenantId, { type: deviceType, offset: 0, limit: Number.MAX_SAFE_INTEGER });
    for (const d of items) await this.assign({ tenantId, deviceId: d.id }, packageId, source);
    return items.length;
  }

  async unassign(device: DeviceRef, kind: OtaKind, source: string): Promise<void> {
    const p = ATTRIBUTE_PREFIX[kind];
    await this.attributes.remove(device, 'shared', ['title', 'version', 'checksum', 'checksum_algorithm', 'size'].map((k) => `${p}_${k}`), source);
  }

  /** The package assigned to the device now (from its shared attributes), or null. */
  async assigned(device: DeviceRef, kind: OtaKind): Promise<OtaPackage | null> {
    const p = ATTRIBUTE_PREFIX[kind];
    const attrs = await this.attributes.list(device, 'shared', [`${p}_title`, `${p}_version`]);
    const title = attrs.find((a) => a.key === `${p}_title`)?.value;
    const version = attrs.find((a) => a.key === `${p}_version`)?.value;
    if (typeof title !== 'string' || typeof version !== 'string') return null;
    return this.store.findPackage(device.tenantId, kind, title, version);
  }

  /**
   * Chunk `chunk` (zero-based) of `chunkSize` bytes of the package named by title and version, or
   * of the one assigned to the device when they are not given. chunkSize 0 = the whole package.
   * A chunk past the end is empty: that is how a device knows it is done.
   */
  async chunk(device: DeviceRef, kind: OtaKind, want: { title?: string; version?: string }, chunk: number, chunkSize: number): Promise<Buffer> {
    const pkg = want.title && want.version ? await this.store.findPackage(device.tenantId, kind, want.title, want.version) : await this.assigned(device, kind);
    if (!pkg) throw new OtaError(want.title ? `no ${kind} ${want.title} ${want.version ?? ''} found` : `no ${kind} is assigned to this device`);
    if (!Number.isSafeInteger(chunk) || chunk < 0) throw new OtaError('chunk must be a non-negative integer');
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 0) throw new OtaError('chunk size must be a non-negative integer');
    if (chunkSize === 0) return chunk === 0 ? this.bytes(pkg) : Buffer.alloc(0);
    const start = chunk * chunkSize;
    if (start >= pkg.sizeBytes) return Buffer.alloc(0);
    const cached = this.cache.get(pkg.id);
    if (cached) return cached.subarray(start, Math.min(cached.length, start + chunkSize));
    // Only the chunk: with PostgreSQL the image is stored in pieces and is never read whole here.
    const data = await this.store.readChunk(pkg.tenantId, pkg.id, start, chunkSize);
    if (!data) throw new OtaError('the package was deleted');
    return data;
  }

  private async bytes(pkg: OtaPackage): Promise<Buffer> {
    const cached = this.cache.get(pkg.id);
    if (cached) return cached;
    const data = await this.store.readData(pkg.tenantId, pkg.id);
    if (!data) throw new OtaError('the package was deleted');
    this.cache.set(pkg.id, data);
    while (this.cache.size > CACHED_PACKAGES) this.cache.delete(this.cache.keys().next().value!);
    return data;
  }
}
