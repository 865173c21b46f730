import { FunctionRegistry, installFunctionsCore } from "./functions-core.ts";

// The provider must be in place before anything calls into @azure/functions (it caches the lookup).
const registry = new FunctionRegistry();
installFunctionsCore(registry);

const { resolve } = await import("node:path");
const { pathToFileURL } = await import("node:url");
const { existsSync } = await import("node:fs");
const { loadHostJson } = await import("./host-config.ts");
const { startHttpHost } = await import("./http-host.ts");
const { httpRouteTable } = await import("./routes.ts");
const { startQueueHost } = await import("./queue-host.ts");
const { startTimerHost } = await import("./timer-host.ts");
const { Logger, describeError } = await import("./log.ts");
const { QueueOutputWriter, unsupportedInputs, unsupportedOutputs } = await import("./outputs.ts");
const { RUNNER_USAGE, isFunctionDisabled, parseRunnerArgs } = await import("./settings.ts");
const { argumentsOrExit } = await import("../stack/cli.ts");
const { applyLocalSettings, readLocalSettings } = await import("../../src/local-settings.ts");
const { describeConnection } = await import("./storage.ts");

type HttpHost = Awaited<ReturnType<typeof startHttpHost>>;
type QueueHost = Awaited<ReturnType<typeof startQueueHost>>;
type TimerHost = ReturnType<typeof startTimerHost>;

function fail(message: string, code = 1): never {
  process.stderr.write(`runner: ${message}\n`);
  process.exit(code);
}

const options = argumentsOrExit("runner", RUNNER_USAGE, () =>
  parseRunnerArgs(process.argv.slice(2), process.env),
);

const cwd = process.cwd();

// 1. host.json
let hostConfig: Awaited<ReturnType<typeof loadHostJson>>;
try {
  const hostJsonPath = resolve(cwd, options.hostJson);
  if (!existsSync(hostJsonPath) && options.hostJson !== "host.json") {
    fail(`host.json not found: ${hostJsonPath}`);
  }
  hostConfig = await loadHostJson(hostJsonPath);
} catch (error) {
  fail(`invalid host.json: ${describeError(error)}`);
}
const logger = new Logger(hostConfig.logLevels);
registry.logSink = (level, category, message) =>
  logger.write(level, category === "system" ? "worker" : category, message);

// 2. local.settings.json (env wins)
let localHttpPort: number | undefined;
if (options.localSettings) {
  try {
    const settings = await readLocalSettings(
      resolve(cwd, options.localSettings.path),
      options.localSettings.explicit,
    );
    if (settings) {
      const filled = applyLocalSettings(process.env, settings.values);
      logger.refreshSecrets();
      localHttpPort = settings.localHttpPort;
      logger.info(
        "runner",
        `${options.localSettings.path}: ${filled.length} setting(s) applied (environment wins)`,
      );
    }
  } catch (error) {
    fail(describeError(error));
  }
}
const port = options.port ?? localHttpPort ?? 7071;

// 3. the app: its registrations land in `registry`
const entryPath = resolve(cwd, options.entry);
if (!existsSync(entryPath)) {
  fail(`entry not found: ${entryPath} (use --entry <file>)`);
}
try {
  await import(pathToFileURL(entryPath).href);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`runner: the app failed to start (${options.entry}):\n${message}\n`);
  if (process.env.RUNNER_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
}

if (registry.functions.length === 0) {
  logger.warn(
    "runner",
    `${options.entry} registered no functions (does it call app.http / app.storageQueue?)`,
  );
}
const functions = registry.functions.filter((fn) => !isFunctionDisabled(fn.name, process.env));
for (const fn of registry.functions) {
  if (!functions.includes(fn)) logger.info(fn.name, `disabled by AzureWebJobs.${fn.name}.Disabled`);
}
for (const fn of functions) {
  if (fn.trigger.kind === "unsupported") {
    logger.warn(fn.name, `trigger "${fn.trigger.type}" is not run by the local runner`);
  }
  for (const b of unsupportedInputs(fn)) {
    logger.warn(fn.name, `input binding "${b.name}" (${b.type}) is not provided by the local runner`);
  }
  for (const b of unsupportedOutputs(fn)) {
    logger.warn(fn.name, `output binding "${b.name}" (${b.type}) is ignored by the local runner`);
  }
}

const services = {
  registry,
  logger,
  outputs: new QueueOutputWriter(process.env, hostConfig.queues.messageEncoding),
};

// 4. routes: one the runner cannot serve stops start-up before appStart hooks run or a port opens
let routes: ReturnType<typeof httpRouteTable>;
try {
  routes = httpRouteTable(functions, hostConfig.routePrefix);
} catch (error) {
  fail(describeError(error));
}

// 5. hosts
let http: HttpHost | undefined;
let queues: QueueHost | undefined;
let timers: TimerHost | undefined;
try {
  await registry.runAppHooks("appStart", cwd);
  http = await startHttpHost({ functions, routes, services, port });
  queues = await startQueueHost({ functions, env: process.env, queues: hostConfig.queues, services });
  timers = startTimerHost({ functions, env: process.env, services });
} catch (error) {
  await http?.close(1000);
  await queues?.stop(1000);
  fail(describeError(error));
}

const httpHost = http;
const queueHost = queues;
const timerHost = timers;
const lines = [`runner ready ${httpHost.url}`];
const width = Math.max(0, ...functions.map((f) => f.name.length));
for (const fn of functions) {
  const name = fn.name.padEnd(width);
  if (fn.trigger.kind === "http") {
    const route = httpHost.routes.find((r) => r.fn === fn)?.route.fullTemplate ?? fn.trigger.route;
    const methods = fn.trigger.methods.length > 0 ? fn.trigger.methods.join(",") : "*";
    lines.push(`  ${name}  http   ${methods} ${httpHost.url}/${route}  (auth: ${fn.trigger.authLevel})`);
  } else if (fn.trigger.kind === "queue") {
    const binding = queueHost.bindings.find((b) => b.fn === fn);
    lines.push(
      `  ${name}  queue  ${binding?.queueName ?? fn.trigger.queueName}  (${binding ? describeConnection(binding.connection) : "?"})`,
    );
  } else if (fn.trigger.kind === "timer") {
    const schedule = timerHost.bindings.find((b) => b.fn === fn)?.schedule ?? fn.trigger.schedule;
    lines.push(`  ${name}  timer  ${schedule} (UTC)`);
  } else {
    lines.push(`  ${name}  ${fn.trigger.type} (not run locally)`);
  }
}
const q = hostConfig.queues;
lines.push(
  `  queues: batchSize ${q.batchSize}, newBatchThreshold ${q.newBatchThreshold}, maxPollingInterval ${q.maxPollingIntervalMs}ms, ` +
    `visibilityTimeout ${q.visibilityTimeoutMs}ms, maxDequeueCount ${q.maxDequeueCount}, messageEncoding ${q.messageEncoding}`,
);
logger.flush();
process.stdout.write(`${lines.join("\n")}\n`);

// 6. shutdown
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    logger.warn("runner", `${signal} again: exiting immediately`);
    process.exit(1);
  }
  stopping = true;
  logger.info("runner", `${signal}: stopping (finishing in-flight invocations)`);
  const [, queuesDrained, timersDrained] = await Promise.all([
    httpHost.close(10_000),
    queueHost.stop(30_000),
    timerHost.stop(30_000),
  ]);
  const drained = queuesDrained && timersDrained;
  try {
    await Promise.race([
      registry.runAppHooks("appTerminate", cwd),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
  } catch (error) {
    logger.error("runner", `appTerminate hook failed: ${describeError(error)}`);
  }
  logger.info(
    "runner",
    drained ? "stopped" : "stopped (some queue or timer invocations did not finish in time)",
  );
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("unhandledRejection", (reason) => {
  logger.error("runner", `unhandled promise rejection: ${describeError(reason)}`);
});
process.on("uncaughtException", (error) => {
  logger.error("runner", `uncaught exception: ${error.stack ?? describeError(error)}`);
});
