/**
 * `npm run simulator`: runs the iTwin API simulator as a process. Prints `simulator ready <url>` once
 * listening (a script can wait for that line), logs one line per request, exits 0 on SIGINT/SIGTERM.
 */
import { CliError, helpText, parseCliArgs } from "./cli-args.ts";
import { type RunningSimulator, startSimulator } from "./server.ts";

async function main(): Promise<void> {
  let options: ReturnType<typeof parseCliArgs>;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`simulator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(helpText());
    return;
  }

  // Handlers go in before anything is printed, so a signal right after "simulator ready" is never missed.
  let simulator: RunningSimulator | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`simulator stopping (${signal})\n`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void (simulator?.close() ?? Promise.resolve()).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  simulator = await startSimulator({
    port: options.port,
    orgDomain: options.orgDomain,
    rateLimit: options.rateLimit,
    tokenTtlSeconds: options.tokenTtlSeconds,
    maxPageSize: options.maxPageSize,
    seed: options.seed,
    log: options.quiet ? undefined : (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });

  process.stdout.write(`simulator ready ${simulator.url}\n`);
  for (const itwin of simulator.state.itwins()) {
    process.stdout.write(
      `  iTwin ${itwin.id}  ${itwin.name} (${itwin.owners} owner${itwin.owners === 1 ? "" : "s"})\n`,
    );
  }
  process.stdout.write(
    `  rate limit ${options.rateLimit.limit}/${options.rateLimit.windowMs}ms per client, org domain ${options.orgDomain}; admin: ${simulator.url}/__admin\n`,
  );
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    process.stderr.write(
      "simulator: that port is already in use; pick another with --port (0 = any free port)\n",
    );
    process.exit(1);
  }
  process.stderr.write(
    `simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
