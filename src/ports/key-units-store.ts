// Units of telemetry keys (from SenML `u`/`bu` and other formats that carry one), kept beside the
// points so the keys API can say what a number means. Narrow on purpose: units change rarely and
// are written only when they do.
export interface KeyUnitsStore {
  init(): Promise<void>;
  /** Sets (or replaces) the unit of each given key of the device. */
  setUnits(tenantId: string, deviceId: string, units: ReadonlyMap<string, string>): Promise<void>;
  /** Every known unit of the device's keys. */
  units(tenantId: string, deviceId: string): Promise<Map<string, string>>;
  deleteDevice(tenantId: string, deviceId: string): Promise<void>;
  close(): Promise<void>;
}
