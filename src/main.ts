// The `vigil` command: the only place that reads argv. Each subcommand lives in src/cli/ and
// is loaded on demand, so `vigil detect` does not pay for the server's dependencies.
import { VERSION } from './version.js';

type Command = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: { summary: 'run the Vigil server (HTTP API and web console, MQTT and CoAP device transports, live stream)', load: () => import('./cli/start.js') },
  detect: { summary: 'score a CSV file with the streaming anomaly detectors', load: () => import('./cli/detect.js') },
  simulate: { summary: 'run a fleet of simulated devices (with fault injection) against Vigil', load: () => import('./cli/simulate.js') },
  migrate: { summary: 'apply (or --dry-run: list) pending PostgreSQL migrations of scaled-out mode', load: () => import('./cli/migrate.js') },
  admin: { summary: 'recovery and set-up on a stopped server: reset-password, create-user, create-device', load: () => import('./cli/admin.js') },
  bench: { summary: 'load generator: `vigil bench ingest` (npm run bench runs the suite)', load: () => import('./cli/bench.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: vigil <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nvigil <command> --help shows a command's options; vigil --version prints the version.`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    process.exitCode = name ? 0 : 1;
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`vigil ${VERSION}`);
    return;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`vigil: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 1;
    return;
  }
  const code = await (await command.load()).run(rest);
  if (code !== 0) process.exitCode = code;
}

await main();
