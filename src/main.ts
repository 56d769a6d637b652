// Builds the command tree and runs it. The only place that sets the exit status.
import { Command, CommanderError, Help } from 'commander';
import { normalizeArgv } from './cli/argv.js';
import { atCommand } from './cli/at.js';
import { addGlobalFlags, Context } from './cli/context.js';
import { inheritFlags, knownFlags } from './cli/flags.js';
import { addHelpCommand, unknownCommand } from './cli/help.js';
import { mtCommand } from './cli/mt.js';
import { ExitStatus, MytokenError } from './errors.js';
import { err, errorMessage, out } from './output/terminal.js';
import { VERSION } from './version.js';

function buildProgram(ctx: () => Context): Command {
  const root = new Command('mytoken')
    .description('Command-line client for mytoken servers: get OpenID Connect access tokens for long-running jobs.')
    .version(`mytoken version ${VERSION}`, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: out,
      writeErr: err,
      outputError: (s, write) => write(`mytoken: ${s.replace(/^error: /, '')}`),
    })
    .addHelpText('after', '\nDocumentation: README.md of this client (usage of every command, the config file, exit statuses).\n');
  addGlobalFlags(root);
  root.addCommand(atCommand(ctx));
  root.addCommand(mtCommand(ctx));
  addHelpCommand(root);
  root.allowExcessArguments(true).action(() => {
    if (root.args.length) throw unknownCommand(root, root.args[0]!);
    root.outputHelp();
  });
  for (const c of root.commands) inherit(c, root);
  return root;
}

/** Subcommands share the root's error handling and output settings, and its flags. */
function inherit(cmd: Command, root: Command): void {
  cmd.exitOverride();
  cmd.configureOutput(root.configureOutput());
  cmd.showSuggestionAfterError(true);
  cmd.helpOption('-h, --help', 'show help');
  cmd.configureHelp({
    showGlobalOptions: true,
    // --version works on the root only
    visibleGlobalOptions: (c) => Object.assign(new Help(), { showGlobalOptions: true }).visibleGlobalOptions(c).filter((o) => o.long !== '--version'),
  });
  cmd.enablePositionalOptions();
  inheritFlags(cmd);
  for (const c of cmd.commands) inherit(c, root);
}

/** The exit status for an error thrown while parsing or running a command. */
function statusOf(e: unknown): number {
  if (e instanceof MytokenError) return e.exitStatus;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitStatus.ok;
    return ExitStatus.usage;
  }
  return ExitStatus.failure;
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // The first Ctrl-C stops waiting (polling, a locked file); a second one stops at once.
    if (++interrupts > 1) process.exit(ExitStatus.interrupted);
    controller.abort();
  });
  let context: Context | undefined;
  const root = buildProgram(() => (context ??= new Context(root, process.env, controller.signal)));
  try {
    await root.parseAsync(normalizeArgv(argv, knownFlags), { from: 'user' });
    return ExitStatus.ok;
  } catch (e) {
    if (e instanceof MytokenError) {
      err(errorMessage(e));
    } else if (!(e instanceof CommanderError)) {
      err(`mytoken: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    }
    return statusOf(e);
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  () => process.exit(ExitStatus.failure),
);
