import { describe } from 'node:test';
import { MemoryPubSub, MemoryPubSubHub } from '../../src/adapters/embedded/memory-pubsub.js';
import { pubSubContract } from './pubsub.contract.js';

describe('MemoryPubSub (embedded)', () => {
  pubSubContract('MemoryPubSub', async () => {
    const hub = new MemoryPubSubHub();
    return { open: async () => new MemoryPubSub(hub, () => undefined), subject: (name) => name };
  });
});
