// The README's walkthrough, run as written: its shell blocks are taken from README.md, pointed at a
// Vigil started here (ephemeral ports, temporary data directory), and run one command at a time
// with the real curl, jq and mosquitto_pub; each command's result is checked. A README command
// without a check here fails the test, so the walkthrough cannot drift from what Vigil does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/harness.js';
import { startVigilProcess, type VigilProcess } from '../helpers/process.js';
import { readme, section, shellBlocks, shellCommands } from '../helpers/readme.js';

const PASSWORD = 'walkthrough-password-1';
const TOOLS = ['bash', 'curl', 'jq', 'mosquitto_pub'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  state: Map<string, string>;
}

interface Check {
  /** Which README command this checks (matched against the command as written). */
  command: RegExp;
  /** Reads (idempotent) are retried until the check passes: storage is written just after the ack. */
  retry?: boolean;
  check(run: Run, remembered: Map<string, unknown>): void;
}

const json = (run: Run) => {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
};

const CHECKS: Check[] = [
  {
    command: /api\/v1\/auth\/login/,
    check: (run) => assert.match(run.state.get('TOKEN') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'login gives an access token (JWT)'),
  },
  {
    command: /api\/v1\/devices -H .*\n.*"name":"boiler-1"/,
    check: (run, remembered) => {
      const device = json(run);
      assert.equal(device.name, 'boiler-1');
      assert.equal(typeof device.id, 'string');
      assert.equal(typeof device.accessToken, 'string');
      remembered.set('device', device);
    },
  },
  {
    command: /^DEVICE_ID=\$\(jq -r \.id device\.json\); DEVICE_TOKEN=/,
    check: (run, remembered) => {
      const device = remembered.get('device') as { id: string; accessToken: string };
      assert.equal(run.state.get('DEVICE_ID'), device.id);
      assert.equal(run.state.get('DEVICE_TOKEN'), device.accessToken);
    },
  },
  {
    command: /^mosquitto_pub .*-u "\$DEVICE_TOKEN"/,
    check: (run) => assert.equal(run.code, 0, `mosquitto_pub failed: ${run.stderr}`),
  },
  {
    command: /\/api\/v1\/\$DEVICE_TOKEN\/telemetry -H 'content-type: application\/json'/,
    check: (run) => assert.deepEqual(json(run), { accepted: 2 }),
  },
  {
    command: /telemetry\/latest/,
    retry: true,
    check: (run) => {
      const { data } = json(run);
      // pressure came only over MQTT: seeing it proves the MQTT port was Vigil's.
      assert.equal(data?.pressure?.value, 1.2);
      assert.equal(data?.humidity?.value, 40);
      assert.ok([21.5, 22].includes(data?.temperature?.value), JSON.stringify(data));
    },
  },
  {
    command: /telemetry\?keys=temperature&from=/,
    retry: true,
    check: (run) => {
      const values = (json(run).data?.temperature ?? []).map((p: { value: number }) => p.value).sort();
      assert.deepEqual(values, [21.5, 22]);
    },
  },
  {
    command: /telemetry\?keys=temperature&interval=1m&agg=avg,min,max,count/,
    retry: true,
    check: (run) => {
      const windows = json(run).data?.temperature ?? [];
      assert.equal(windows.reduce((n: number, w: { count: number }) => n + w.count, 0), 2);
      for (const w of windows) assert.ok(w.min <= w.avg && w.avg <= w.max);
    },
  },
  {
    command: /\/keys"/,
    retry: true,
    check: (run) => assert.deepEqual([...json(run).keys].sort(), ['humidity', 'pressure', 'temperature']),
  },
  {
    command: /-d '\{"temperature":'/,
    check: (run) => assert.equal(json(run).error, 'INVALID_JSON'),
  },
  {
    command: /api\/v1\/ingest\/rejected/,
    retry: true,
    check: (run, remembered) => {
      const device = remembered.get('device') as { id: string };
      const items = json(run).items as { reason: string; deviceId?: string; payloadHead: string }[];
      assert.ok(
        items.some((i) => i.reason === 'invalid_json' && i.payloadHead === '{"temperature":' && (i.deviceId === undefined || i.deviceId === device.id)),
        JSON.stringify(items),
      );
    },
  },
  {
    command: /^mosquitto_pub .*-u made-up-token/,
    check: (run) => {
      // The README quotes Vigil's refusal; it must be what mosquitto_pub really prints.
      assert.equal(run.code, 5);
      assert.match(run.stderr, /^Connection error: Connection Refused: not authorised\./m);
      assert.match(section(readme(), 'A five-minute walkthrough'), /# Vigil: {2}Connection error: Connection Refused: not authorised\. {2}\(exit code 5\)/);
    },
  },
];

describe('README walkthrough, run as written', () => {
  let vigil: VigilProcess;
  let dataDir: string;
  let workDir: string;

  before(async () => {
    const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
    assert.deepEqual(missing, [], `the walkthrough needs ${missing.join(', ')} (apt-get install curl jq mosquitto-clients; .ci/run installs them)`);
    dataDir = await tempDir();
    workDir = await tempDir('vigil-readme-');
    vigil = await startVigilProcess(dataDir, { VIGIL_ADMIN_PASSWORD: PASSWORD });
  });
  after(async () => {
    vigil?.child.kill('SIGTERM');
    await vigil?.exited;
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  /** The README command, aimed at this Vigil: its ports and the password it was started with. */
  function localise(command: string): string {
    const httpHostPort = vigil.http.replace(/^http:\/\//, '');
    const out = command
      .replaceAll('localhost:8080', httpHostPort)
      .replaceAll('-h localhost -p 1883', `-h 127.0.0.1 -p ${vigil.mqttPort}`)
      .replaceAll('<printed password>', PASSWORD);
    assert.doesNotMatch(out, /(?<!@)localhost|:8080\b|\b1883\b|<[a-z ]+>/, `a README command addresses Vigil in a way this test does not know: ${command}`);
    return out;
  }

  function run(command: string): Run {
    const statePath = join(workDir, 'state.sh');
    const script = [
      'set -o pipefail',
      `[ -f ${statePath} ] && . ${statePath}`,
      command,
      'rc=$?',
      // The variables a step leaves for the next ones, as a user's shell keeps them.
      `declare -p TOKEN DEVICE_ID DEVICE_TOKEN > ${statePath} 2>/dev/null`,
      'exit $rc',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { cwd: workDir, encoding: 'utf8', timeout: 30_000 });
    const state = new Map<string, string>();
    if (existsSync(statePath)) {
      for (const m of readFileSync(statePath, 'utf8').matchAll(/^declare -\S* (\w+)="(.*)"$/gm)) state.set(m[1]!, m[2]!);
    }
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, state };
  }

  test('every command of the walkthrough does what the README says', async () => {
    const commands = shellBlocks(section(readme(), 'A five-minute walkthrough')).flatMap(shellCommands);
    assert.ok(commands.length >= 10, `found ${commands.length} commands in the walkthrough`);
    const remembered = new Map<string, unknown>();
    const checked = new Set<Check>();
    for (const { command } of commands) {
      const matching = CHECKS.filter((c) => c.command.test(command));
      assert.equal(matching.length, 1, `README command needs exactly one check in this test (has ${matching.length}):\n${command}`);
      const check = matching[0]!;
      checked.add(check);
      const deadline = Date.now() + (check.retry ? 20_000 : 0);
      for (;;) {
        const result = run(localise(command));
        try {
          check.check(result, remembered);
          break;
        } catch (err) {
          if (Date.now() >= deadline) {
            throw new Error(`README command failed its check:\n${command}\nexit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}\n${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    const unused = CHECKS.filter((c) => !checked.has(c)).map((c) => String(c.command));
    assert.deepEqual(unused, [], 'checks whose README command is gone');
  });
});
