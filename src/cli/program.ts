// The command tree: every command, its flags and help, in the order help lists them.
import { Command, Help } from 'commander';
import { atCommand } from './at.js';
import { calendarsCommand } from './calendars.js';
import { addGlobalFlags, type Context } from './context.js';
import { inheritFlags } from './flags.js';
import { addHelpCommand, unknownCommand } from './help.js';
import { infoCommand } from './info.js';
import { mtCommand } from './mt.js';
import { notificationsCommand } from './notifications.js';
import { profilesCommand } from './profiles.js';
import { revokeCommand } from './revoke.js';
import { capabilitiesCommand, configCommand, listCommand } from './server-info.js';
import { settingsCommand } from './settings/index.js';
import { err, out } from '../output/terminal.js';
import { VERSION } from '../version.js';

export function buildProgram(ctx: () => Context): Command {
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
  for (const make of [atCommand, calendarsCommand, configCommand, capabilitiesCommand, infoCommand, listCommand, mtCommand,
    notificationsCommand, profilesCommand, revokeCommand, settingsCommand]) {
    root.addCommand(make(ctx));
  }
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
    // the root's flags (--version works on the root only); a group's flags are inherited too, but
    // listing every flag of MT under `MT tags add` would bury the ones that matter
    visibleGlobalOptions: (c) =>
      Object.assign(new Help(), { showGlobalOptions: true })
        .visibleGlobalOptions(c)
        .filter((o) => o.long !== '--version' && root.options.includes(o)),
  });
  cmd.enablePositionalOptions();
  inheritFlags(cmd);
  for (const c of cmd.commands) inherit(c, root);
}

