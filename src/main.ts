// Builds the command tree and runs it. The only place that sets the exit status; src/bin.ts and
// src/sea.ts (the single binary) start it.
import { CommanderError } from 'commander';
import { knownFlags, normalizeArgv } from './cli/argv.js';
import { Context } from './cli/context.js';
import { buildProgram } from './cli/program.js';
import { ExitStatus, MytokenError } from './errors.js';
import { err, errorMessage } from './output/terminal.js';

/** The exit status for an error thrown while parsing or running a command. */
function statusOf(e: unknown): number {
  if (e instanceof MytokenError) return e.exitStatus;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitStatus.ok;
    return ExitStatus.usage;
  }
  return ExitStatus.failure;
}

/** Runs one command line (without the node and script words) and resolves to its exit status. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // The first Ctrl-C stops waiting (polling, a locked file); a second one stops at once.
    if (++interrupts > 1) process.exit(ExitStatus.interrupted);
    controller.abort();
  });
  let context: Context | undefined;
  const root = buildProgram(() => (context ??= new Context(root, process.env, controller.signal)), argv);
  try {
    await root.parseAsync(normalizeArgv(argv, knownFlags(root)), { from: 'user' });
    if (context?.writeBackFailed) {
      err('mytoken: the rotated mytoken could not be stored (see above)\n');
      return ExitStatus.failure;
    }
    return context?.partialFailure ? ExitStatus.failure : ExitStatus.ok;
  } catch (e) {
    if (e instanceof MytokenError) {
      err(errorMessage(e));
    } else if (!(e instanceof CommanderError)) {
      err(`mytoken: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    }
    return statusOf(e);
  }
}

/** Runs the process's command line and exits with its status. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (status) => process.exit(status),
    () => process.exit(ExitStatus.failure),
  );
}
