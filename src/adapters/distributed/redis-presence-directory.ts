// PresenceDirectory in Redis: one key per connected device, `<prefix>presence:<deviceId>`, holding
// {node, tenantId, since} with a time-to-live. The holding node refreshes its keys every third of
// the TTL, so a node that dies takes its devices offline for the others within one TTL. Releasing
// deletes the key only when this node still holds it: a device that already reconnected to another
// node (through the balancer) keeps that node's entry.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HeldConnection, PresenceDirectory } from '../../ports/presence-directory.js';
import { connectRedis } from './redis-connection.js';

/** Deletes KEYS[1] when its value names node ARGV[1]. */
const RELEASE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).node == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extends KEYS[i] when its value names node ARGV[1]; a key taken over by another node is left. */
const REFRESH_SCRIPT = `
local n = 0
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v and cjson.decode(v).node == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]); n = n + 1 end
end
return n`;

type WithScripts = Redis & {
  vigilReleasePresence(key: string, node: string): Promise<number>;
  vigilRefreshPresence(...args: (string | number)[]): Promise<number>;
};

export interface RedisPresenceOptions {
  /** Prepended to every key, so deployments (and tests) sharing a Redis stay apart. */
  keyPrefix?: string;
  /** How long an entry lives without a refresh (default 30 s). */
  ttlMs?: number;
  /** This node's id (default: a new random one). */
  node?: string;
}

/** Keys refreshed per script call: bounded so one call never blocks Redis for long. */
const REFRESH_CHUNK = 500;

export class RedisPresenceDirectory implements PresenceDirectory {
  readonly node: string;
  readonly refreshIntervalMs: number;
  private readonly redis: WithScripts;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(redis: Redis, options: RedisPresenceOptions = {}) {
    this.node = options.node ?? randomUUID();
    this.prefix = `${options.keyPrefix ?? ''}presence:`;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.refreshIntervalMs = Math.max(100, Math.floor(this.ttlMs / 3));
    redis.defineCommand('vigilReleasePresence', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('vigilRefreshPresence', { lua: REFRESH_SCRIPT });
    this.redis = redis as WithScripts;
  }

  async hold(tenantId: string, deviceId: string, since: number): Promise<void> {
    const entry: HeldConnection = { node: this.node, tenantId, since };
    await this.redis.set(this.prefix + deviceId, JSON.stringify(entry), 'PX', this.ttlMs);
  }

  async release(deviceId: string): Promise<void> {
    await this.redis.vigilReleasePresence(this.prefix + deviceId, this.node);
  }

  async refresh(deviceIds: string[]): Promise<void> {
    for (let i = 0; i < deviceIds.length; i += REFRESH_CHUNK) {
      const keys = deviceIds.slice(i, i + REFRESH_CHUNK).map((id) => this.prefix + id);
      await this.redis.vigilRefreshPresence(keys.length, ...keys, this.node, this.ttlMs);
    }
  }

  async lookup(deviceIds: string[]): Promise<Map<string, HeldConnection>> {
    const found = new Map<string, HeldConnection>();
    if (deviceIds.length === 0) return found;
    const values = await this.redis.mget(deviceIds.map((id) => this.prefix + id));
    values.forEach((v, i) => {
      if (!v) return;
      try {
        found.set(deviceIds[i]!, JSON.parse(v) as HeldConnection);
      } catch {
        // Not ours (a foreign value under our prefix): ignore it rather than fail a device listing.
      }
    });
    return found;
  }

  async close(): Promise<void> {}
}

export async function createRedisPresenceDirectory(url: string, options: RedisPresenceOptions = {}): Promise<RedisPresenceDirectory> {
  const redis = await connectRedis(url, { name: 'vigil-presence' });
  const directory = new RedisPresenceDirectory(redis, options);
  return Object.assign(directory, { close: async () => void (await redis.quit()) });
}
