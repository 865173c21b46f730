/**
 * `owner-changes`: the operators' CLI over the service's HTTP API. This file only connects the program
 * (program.ts) to the process; `bin/owner-changes.mjs` runs it. `--help` lists the commands.
 */
import { processIo } from "./io.ts";
import { runCli } from "./program.ts";

// A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go, which
// is not an error of this program.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

// The exit code is set, not forced: pending output on stdout (a pipe) is written before Node exits.
process.exitCode = await runCli(process.argv.slice(2), processIo());
