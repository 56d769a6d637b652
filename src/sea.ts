// The entry point of the single binary (a Node single executable application). The binary is
// built with a V8 start-up snapshot: this file and everything it imports are evaluated once at
// build time, and the snapshot starts `run` with the process's own argv, environment and
// terminal. Nothing at module level may therefore read them, nor load node:http or
// node:child_process (not safe in a snapshot); both happen only inside commands.
import { startupSnapshot } from 'node:v8';
import type { Context } from './cli/context.js';
import { buildProgram } from './cli/program.js';
import { run } from './main.js';

if (startupSnapshot.isBuildingSnapshot()) {
  // Build the whole command tree once, so that the snapshot holds the compiled code of everything
  // a start runs before the command itself (~0.8 ms of each start).
  const noContext = (): Context => {
    throw new Error('no context while the snapshot is built');
  };
  buildProgram(noContext);
  startupSnapshot.setDeserializeMainFunction(run);
} else {
  run();
}
