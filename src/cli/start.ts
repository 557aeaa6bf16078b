// `vigil start`: run the server until SIGTERM/SIGINT, then stop intake, flush and exit.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandLine } from './args.js';
import { buildApp } from '../app.js';
import { ServiceUnreachableError } from '../adapters/index.js';
import { DataDirLockedError, isDuckDbLockError, lockDataDir, type DataDirLock } from '../adapters/embedded/data-dir-lock.js';
import { ConfigError, loadConfig } from '../config.js';
import { SecretBoxError } from '../util/secret-box.js';
import { ADMIN_EMAIL } from '../domains/auth/auth.service.js';
import { initialPasswordPath } from '../domains/auth/initial-password.js';

const HELP = `usage: vigil start [options]

  --http-port <n>   HTTP API and live stream port (VIGIL_HTTP_PORT, default 8080)
  --mqtt-port <n>   MQTT device transport port (VIGIL_MQTT_PORT, default 1883)
  --coap-port <n>   CoAP (UDP) device API port (VIGIL_COAP_PORT, default 5683)
  --host <addr>     address to bind (VIGIL_HOST, default 0.0.0.0)
  --data-dir <dir>  where data lives (VIGIL_DATA_DIR, default ./data)

Other settings come from VIGIL_* environment variables; see docs/operations.md.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    'start',
    argv,
    {
      'http-port': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'coap-port': { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    HELP,
  );
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const flags = parsed.values;

  let config;
  try {
    config = loadConfig(process.env, {
      httpPort: flags['http-port'],
      mqttPort: flags['mqtt-port'],
      coapPort: flags['coap-port'],
      host: flags.host,
      dataDir: flags['data-dir'],
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vigil: ${err.message}`);
      return 1;
    }
    throw err;
  }

  const dataDir = resolve(config.dataDir);
  let lock: DataDirLock;
  let app;
  try {
    mkdirSync(dataDir, { recursive: true });
    lock = lockDataDir(dataDir);
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    console.error(`vigil: ${err.message}`);
    return 1;
  }
  try {
    app = await buildApp(config);
  } catch (err) {
    lock.release();
    if (err instanceof ServiceUnreachableError || err instanceof SecretBoxError) {
      console.error(`vigil: ${err.message}`);
      return 1;
    }
    // The lock file is advisory; DuckDB's own lock is the backstop (e.g. a holder on another host
    // sharing the directory, whose pid means nothing here).
    if (!isDuckDbLockError(err)) throw err;
    console.error(`vigil: another process holds ${dataDir}/vigil.duckdb; stop it or choose another with --data-dir`);
    return 1;
  }
  // Before listening, and at every start until the admin changes it: a start that fails on a busy
  // port has still created the admin, and the password must not be lost with it.
  if (app.generatedAdminPassword) {
    console.log(
      `\n  Admin login: ${ADMIN_EMAIL} with password ${app.generatedAdminPassword}\n` +
        `  (generated at first start, kept in ${initialPasswordPath(dataDir)} until you change it;\n` +
        `   set VIGIL_ADMIN_PASSWORD before the first start to choose it)\n`,
    );
  }
  let ports;
  try {
    ports = await app.listen();
  } catch (err) {
    await app.close().catch(() => undefined);
    lock.release();
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      const which =
        e.syscall === 'bind' // only the UDP socket fails in bind(); TCP servers fail in listen()
          ? 'coap'
          : e.port === config.mqttPort || String(e.message).includes(`:${config.mqttPort}`)
            ? 'mqtt'
            : 'http';
      const port = { coap: config.coapPort, mqtt: config.mqttPort, http: config.httpPort }[which];
      const verb = e.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges';
      console.error(`vigil: ${which.toUpperCase()} port ${port} ${verb}; choose another with --${which}-port (or VIGIL_${which.toUpperCase()}_PORT)`);
      return 1;
    }
    throw err;
  }

  app.log.info({ httpPort: ports.httpPort, mqttPort: ports.mqttPort, coapPort: ports.coapPort, dataDir: config.dataDir }, 'vigil started');
  // A line for people and for scripts that wait for start-up.
  console.log(`vigil ready: ${config.tlsCertFile ? 'https' : 'http'}://${config.host}:${ports.httpPort} mqtt://${config.host}:${ports.mqttPort} coap://${config.host}:${ports.coapPort}${ports.mqttTlsPort === undefined ? '' : ` mqtts://${config.host}:${ports.mqttTlsPort}`}`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down: stopping intake and flushing');
      app.close().then(
        () => {
          lock.release();
          app.log.info('shutdown complete');
          resolve();
        },
        (err) => {
          app.log.error({ err }, 'shutdown failed');
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGHUP', () => {
      try {
        if (app.reloadTls()) app.log.info('TLS certificates reloaded (HTTPS, MQTT)');
      } catch (err) {
        app.log.error({ err }, 'TLS certificate reload failed; keeping the previous one');
      }
    });
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
