// Units of telemetry keys as devices declare them (see pg-key-units-store.ts).
import type { Migration } from './index.js';

export const keyUnitsSchema: Migration = {
  version: 4,
  name: 'key-units',
  statements: [
    `CREATE TABLE telemetry_key_units (
       tenant_id text COLLATE "C" NOT NULL, device_id text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
       unit text NOT NULL,
       PRIMARY KEY (tenant_id, device_id, key)
     )`,
  ],
};
