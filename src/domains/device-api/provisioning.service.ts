// Device provisioning and claiming, as ThingsBoard devices do them.
// Provisioning: a device presents a profile's key and secret (MQTT username "provision" on
// /provision/request, or POST /api/v1/provision) and receives its access token. Strategies:
// allow_new creates the device; check_preprovisioned only issues credentials to a device
// registered beforehand under that name, once. Success sets the server attribute
// provisionState=provisioned. Answers carry both "status" and "provisionDeviceStatus" because
// ThingsBoard's docs and its sample scripts disagree on the name.
// Claiming: the device announces a secret and a window (v1/devices/me/claim); a user who knows
// the device name and secret claims it within the window (server attributes claimedBy/claimedAt).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError, Errors } from '../../errors.js';
import type { DeviceService } from '../devices/devices.service.js';
import type { ProvisionProfile, ProvisionStrategy, ProvisioningStore } from '../../ports/provisioning-store.js';
import type { AttributeService, DeviceRef } from './attributes.service.js';
import { requestedCredentials, unavailable, type ProvisionCredentials } from './provision-credentials.js';

export interface ProvisionResponse {
  status: 'SUCCESS' | 'NOT_FOUND' | 'FAILURE';
  provisionDeviceStatus: ProvisionResponse['status'];
  credentialsType?: 'ACCESS_TOKEN' | 'MQTT_BASIC' | 'X509_CERTIFICATE';
  /** The token; for MQTT_BASIC {clientId, userName, password}; for X509_CERTIFICATE the PEM sent. */
  credentialsValue?: string | { clientId: string | null; userName: string | null; password: string | null };
  /** X509_CERTIFICATE: the certificate's SHA-256 fingerprint. */
  credentialsId?: string;
  deviceId?: string;
  errorMsg?: string;
}

/** ThingsBoard's default claim window (device.claim.duration). */
export const DEFAULT_CLAIM_DURATION_MS = 24 * 3600_000;
const MAX_CLAIM_DURATION_MS = 30 * 24 * 3600_000;
/** Wrong secrets tolerated per provision key and minute: guessing a secret must not be cheap. */
export const MAX_FAILED_PROVISIONS_PER_MIN = 10;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function failure(status: 'NOT_FOUND' | 'FAILURE', errorMsg: string): ProvisionResponse {
  return { status, provisionDeviceStatus: status, errorMsg };
}

export class ProvisioningService {
  /** provision key → failures in the current minute window. */
  private readonly failures = new Map<string, { windowStart: number; count: number }>();
  private credentials: ProvisionCredentials | null = null;

  constructor(
    private readonly store: ProvisioningStore,
    private readonly devices: DeviceService,
    private readonly attributes: AttributeService,
  ) {}

  /** MQTT basic and X.509 credentials for provisioned devices (without: ACCESS_TOKEN only). */
  useCredentials(credentials: ProvisionCredentials): void {
    this.credentials = credentials;
  }

  async createProfile(tenantId: string, input: { name: string; deviceType?: string; strategy: ProvisionStrategy; provisionKey?: string; provisionSecret?: string }) {
    const provisionKey = input.provisionKey ?? randomBytes(15).toString('base64url');
    const provisionSecret = input.provisionSecret ?? randomBytes(15).toString('base64url');
    const profile: ProvisionProfile = {
      id: randomUUID(),
      tenantId,
      name: input.name,
      deviceType: input.deviceType ?? input.name,
      strategy: input.strategy,
      provisionKey,
      secretHash: sha256(provisionSecret),
      createdAt: Date.now(),
    };
    if (await this.store.findProfileByKey(provisionKey)) throw Errors.conflict('this provision key is already in use');
    await this.store.createProfile(profile);
    return { ...this.view(profile), provisionSecret };
  }

  async listProfiles(tenantId: string) {
    return (await this.store.listProfiles(tenantId)).map((p) => this.view(p));
  }

  async deleteProfile(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteProfile(tenantId, id))) throw Errors.notFound(`provisioning profile ${id} not found`);
  }

  /** Handles a device's provision request (any JSON); never throws for the device's mistakes. */
  async provision(body: unknown): Promise<ProvisionResponse> {
    const req = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const key = req.provisionDeviceKey;
    const secret = req.provisionDeviceSecret;
    if (typeof key !== 'string' || typeof secret !== 'string') return failure('NOT_FOUND', 'provisionDeviceKey and provisionDeviceSecret are required');
    if (this.locked(key)) return failure('FAILURE', 'too many failed attempts with this provision key; retry in a minute');
    const profile = await this.store.findProfileByKey(key);
    if (!profile || !sameHash(profile.secretHash, sha256(secret))) {
      this.countFailure(key);
      return failure('NOT_FOUND', 'unknown provision key or wrong secret');
    }
    const requested = requestedCredentials(req);
    if (typeof requested === 'string') return failure('FAILURE', requested);
    const problem = await unavailable(requested, this.credentials);
    if (problem) return failure('FAILURE', problem);
    const chosenToken = requested.type === 'ACCESS_TOKEN' ? requested.token : undefined;
    if (chosenToken && (await this.devices.tokenInUse(chosenToken))) return failure('FAILURE', 'this token is already in use');
    const name = typeof req.deviceName === 'string' && req.deviceName.trim() ? req.deviceName.trim().slice(0, 200) : `${profile.deviceType}-${randomBytes(4).toString('hex')}`;
    const existing = await this.findByName(profile.tenantId, name);
    let deviceId: string;
    let token: string;
    if (profile.strategy === 'allow_new') {
      if (existing) return failure('FAILURE', `device ${name} is already registered`);
      const created = await this.devices.create(profile.tenantId, { name, type: profile.deviceType }, chosenToken);
      deviceId = created.id;
      token = created.accessToken;
    } else {
      if (!existing) return failure('NOT_FOUND', `device ${name} was not pre-provisioned`);
      const state = await this.attributes.list({ tenantId: profile.tenantId, deviceId: existing.id }, 'server', ['provisionState']);
      if (state[0]?.value === 'provisioned') return failure('FAILURE', `device ${name} is already provisioned`);
      const rotated = await this.devices.rotateCredentials(profile.tenantId, existing.id, chosenToken);
      deviceId = rotated.id;
      token = rotated.accessToken;
    }
    const success = { status: 'SUCCESS', provisionDeviceStatus: 'SUCCESS', deviceId } as const;
    let answer: ProvisionResponse = { ...success, credentialsType: 'ACCESS_TOKEN', credentialsValue: token };
    if (requested.type === 'MQTT_BASIC') {
      await this.credentials!.setBasic(profile.tenantId, deviceId, requested);
      answer = { ...success, credentialsType: 'MQTT_BASIC', credentialsValue: { clientId: requested.clientId, userName: requested.username, password: requested.password } };
    } else if (requested.type === 'X509_CERTIFICATE') {
      const registered = await this.credentials!.registerCertificate(profile.tenantId, deviceId, requested.certificatePem);
      answer = { ...success, credentialsType: 'X509_CERTIFICATE', credentialsValue: String(req.hash), credentialsId: registered.fingerprint };
    }
    await this.attributes.set({ tenantId: profile.tenantId, deviceId }, 'server', { provisionState: 'provisioned' }, 'provisioning');
    return answer;
  }

  /** The device opens a claim window: {"secretKey": "...", "durationMs": 60000}, both optional. */
  async allowClaim(device: DeviceRef, body: unknown): Promise<{ expiresAt: number }> {
    const req = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const secret = req.secretKey ?? '';
    if (typeof secret !== 'string') throw Errors.invalidPayload('secretKey must be a string');
    const durationMs = req.durationMs ?? DEFAULT_CLAIM_DURATION_MS;
    if (typeof durationMs !== 'number' || !(durationMs > 0 && durationMs <= MAX_CLAIM_DURATION_MS)) throw Errors.invalidPayload(`durationMs must be 1..${MAX_CLAIM_DURATION_MS}`);
    const expiresAt = Date.now() + durationMs;
    await this.store.putClaim({ tenantId: device.tenantId, deviceId: device.deviceId, secretHash: secret ? sha256(secret) : '', expiresAt });
    return { expiresAt };
  }

  /** A user claims a device by name with the secret the device announced. */
  async claim(tenantId: string, userId: string, deviceName: string, secretKey: string): Promise<{ deviceId: string; claimedAt: number }> {
    const device = await this.findByName(tenantId, deviceName);
    const pending = device ? await this.store.getClaim(tenantId, device.id) : null;
    if (!device || !pending || pending.expiresAt < Date.now()) throw Errors.notFound('no device of that name is open for claiming (it must publish to v1/devices/me/claim first)');
    if (!sameHash(pending.secretHash, secretKey ? sha256(secretKey) : '')) throw new AppError('CLAIM_SECRET_MISMATCH', 403, 'wrong claim secret');
    const claimedAt = Date.now();
    await this.attributes.set({ tenantId, deviceId: device.id }, 'server', { claimedBy: userId, claimedAt }, `user:${userId}`);
    await this.store.deleteClaim(tenantId, device.id);
    return { deviceId: device.id, claimedAt };
  }

  private locked(key: string): boolean {
    const f = this.failures.get(key);
    return !!f && Date.now() - f.windowStart < 60_000 && f.count >= MAX_FAILED_PROVISIONS_PER_MIN;
  }

  private countFailure(key: string): void {
    const now = Date.now();
    const f = this.failures.get(key);
    if (!f || now - f.windowStart >= 60_000) {
      if (this.failures.size > 100_000) this.failures.clear(); // bounded: a flood of invented keys
      this.failures.set(key, { windowStart: now, count: 1 });
    } else f.count++;
  }

  private async findByName(tenantId: string, name: string) {
    const page = await this.devices.list(tenantId, { name, offset: 0, limit: 1000 });
    return page.items.find((d) => d.name === name) ?? null;
  }

  private view(p: ProvisionProfile) {
    const { secretHash: _secret, ...rest } = p;
    return rest;
  }
}
