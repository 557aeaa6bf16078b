// Flag parsing shared by the subcommands: strict node:util parseArgs, --help, and a one-line
// error with the usage text on bad flags.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true }>>['values'];

/** The parsed flags, or the exit code when the command should stop (help shown, bad flags). */
export type CommandLine<O extends Options> = { values: Values<O>; exitCode?: undefined } | { values?: undefined; exitCode: number };

export function parseCommandLine<const O extends Options>(command: string, argv: string[], options: O, help: string): CommandLine<O> {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
    if ((values as { help?: boolean }).help) {
      console.log(help);
      return { exitCode: 0 };
    }
    return { values: values as Values<O> };
  } catch (err) {
    console.error(`vigil ${command}: ${(err as Error).message}\n\n${help}`);
    return { exitCode: 1 };
  }
}
