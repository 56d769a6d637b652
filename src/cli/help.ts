// Help: `help [command]` (alias `h`) on commands that have subcommands, and `help` as the first
// argument of any other command, as upstream has it.
import { Command } from 'commander';
import { UsageError } from '../errors.js';

export function helpIfAsked(cmd: Command, firstArg: string | undefined): boolean {
  if (firstArg !== 'help' && firstArg !== 'h') return false;
  cmd.outputHelp();
  return true;
}

function findSub(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

export function unknownCommand(parent: Command, name: string): UsageError {
  const path = parent.parent ? `${parent.name()} ` : '';
  const names = parent.commands.map((c) => c.name()).filter((n) => n !== 'help');
  return new UsageError(`unknown command '${path}${name}'`, `the commands are: ${names.join(', ')}; see mytoken ${path}--help`);
}

/** Adds `help [command]` (alias `h`) to a command with subcommands. */
export function addHelpCommand(parent: Command): void {
  parent.addCommand(
    new Command('help')
      .alias('h')
      .summary('show help for a command')
      .argument('[command]', 'the command to show help for')
      .allowExcessArguments(true)
      .action((name: string | undefined) => {
        if (!name) return parent.outputHelp();
        const sub = findSub(parent, name);
        if (!sub) throw unknownCommand(parent, name);
        sub.outputHelp();
      }),
  );
}
