// The command tree: every command, its flags and help, in the order help lists them.
import { Command, Help } from 'commander';
import { atCommand, atMeta } from './commands/at.js';
import { calendarsCommand, calendarsMeta } from './commands/calendars.js';
import type { Context } from './context.js';
import { addGlobalFlags } from './options/global.js';
import { inheritFlags } from './flags.js';
import { addHelpCommand, unknownCommand } from './help.js';
import { infoCommand, infoMeta } from './commands/info.js';
import { keyringCommand, keyringMeta } from './commands/keyring.js';
import { mtCommand, mtMeta } from './commands/mt.js';
import { notificationsCommand, notificationsMeta } from './commands/notifications.js';
import { profilesCommand, profilesMeta } from './commands/profiles.js';
import { revokeCommand, revokeMeta } from './commands/revoke.js';
import { capabilitiesCommand, capabilitiesMeta, configCommand, configMeta, listCommand, listMeta } from './commands/server-info.js';
import { settingsCommand, settingsMeta } from './commands/settings/index.js';
import { err, isTerminal, out } from '../output/terminal.js';
import { VERSION } from '../version.js';

interface Meta {
  name: string;
  aliases?: string[];
  summary: string;
}

/** The top-level commands in help order. */
const COMMANDS: [Meta, (ctx: () => Context) => Command][] = [
  [atMeta, atCommand],
  [calendarsMeta, calendarsCommand],
  [configMeta, configCommand],
  [capabilitiesMeta, capabilitiesCommand],
  [infoMeta, infoCommand],
  [keyringMeta, keyringCommand],
  [listMeta, listCommand],
  [mtMeta, mtCommand],
  [notificationsMeta, notificationsCommand],
  [profilesMeta, profilesCommand],
  [revokeMeta, revokeCommand],
  [settingsMeta, settingsCommand],
];

/** Root flags that take a value (their value is not a command name). */
const ROOT_VALUE_FLAGS = new Set(['config', 'url', 'mytoken-url']);

/**
 * The words of argv that may name a top-level command: the first positional, and the one after
 * `help`/`h`. Only those commands are built in full; the others are built as names for the help.
 */
export function commandWords(argv: string[]): Set<string> {
  const words = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // one or two dashes, as normalizeArgv accepts them
    if (a.startsWith('-') && ROOT_VALUE_FLAGS.has(a.replace(/^--?/, ''))) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    words.add(a);
    if (a !== 'help' && a !== 'h') break;
  }
  return words;
}

/**
 * The command tree. With `argv`, only the commands it can reach are built in full (building all of
 * them costs about 10 ms per run); without, everything is (for tests and tools).
 */
export function buildProgram(ctx: () => Context, argv?: string[]): Command {
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
      // commander's defaults create process.stdout/stderr to ask; the help has no colours
      getOutHelpWidth: () => (isTerminal(1) ? process.stdout.columns : 80),
      getErrHelpWidth: () => (isTerminal(2) ? process.stderr.columns : 80),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', '\nDocumentation: README.md of this client (usage of every command, the config file, exit statuses).\n');
  addGlobalFlags(root);
  const words = argv && commandWords(argv);
  for (const [meta, make] of COMMANDS) {
    const wanted = !words || [meta.name, ...(meta.aliases ?? [])].some((n) => words.has(n));
    root.addCommand(wanted ? make(ctx) : new Command(meta.name).aliases(meta.aliases ?? []).summary(meta.summary));
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

