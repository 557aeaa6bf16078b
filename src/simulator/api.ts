// The few management-API calls the simulator and the benchmarks make: log in, register devices.
export interface ProvisionedDevice {
  id: string;
  name: string;
  type: string;
  accessToken: string;
  tenantId?: string;
}

export class ApiClient {
  private token = '';

  constructor(readonly baseUrl: string) {}

  async login(email: string, password: string): Promise<string> {
    const res = await this.call('POST', '/api/v1/auth/login', { email, password }, false);
    this.token = res.accessToken as string;
    return this.token;
  }

  get accessToken(): string {
    return this.token;
  }

  async call(method: string, path: string, body?: unknown, auth = true): Promise<any> {
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : null;
  }

  /** Registers devices, a few requests at a time. */
  async createDevices(
    specs: { name: string; type: string; labels?: Record<string, string> }[],
    concurrency = 8,
  ): Promise<ProvisionedDevice[]> {
    const out: ProvisionedDevice[] = new Array(specs.length);
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const i = next++;
        const d = await this.call('POST', '/api/v1/devices', specs[i]);
        out[i] = { id: d.id, name: d.name, type: d.type, accessToken: d.accessToken, tenantId: d.tenantId };
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
    return out;
  }
}
