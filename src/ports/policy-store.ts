// What users configured for analytics per device type: predictive-maintenance policies and
// multivariate detector policies.
export interface MaintenancePolicy {
  tenantId: string;
  deviceType: string;
  key: string;
  threshold: number;
  failWhen: 'above' | 'below' | null;
  horizonMs: number;
  windowMs: number;
  updatedAt: number;
}

/** A multivariate anomaly model across several keys of every device of a type. */
export interface DetectorPolicy {
  tenantId: string;
  deviceType: string;
  keys: string[];
  /** Points of normal operation the model trains on before it scores. */
  fitPoints: number;
  updatedAt: number;
}

export interface PolicyStore {
  init(): Promise<void>;
  putPolicy(policy: MaintenancePolicy): Promise<void>;
  listPolicies(tenantId?: string): Promise<MaintenancePolicy[]>;
  deletePolicy(tenantId: string, deviceType: string): Promise<boolean>;
  putDetectorPolicy(policy: DetectorPolicy): Promise<void>;
  listDetectorPolicies(tenantId?: string): Promise<DetectorPolicy[]>;
  deleteDetectorPolicy(tenantId: string, deviceType: string): Promise<boolean>;
}
