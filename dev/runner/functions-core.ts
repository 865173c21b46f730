import Module from "node:module";

/**
 * A stand-in for `@azure/functions-core`, the module the Functions host's Node worker provides.
 * `@azure/functions` v4 `require`s it lazily (CJS) and, when present, calls `setProgrammingModel`
 * once and `registerFunction(metadata, handler)` per `app.http` / `app.storageQueue` / … call.
 * Installing this provider before the app is imported captures the app's real registrations.
 */

export const CORE_MODULE_ID = "@azure/functions-core";

export interface CoreBinding {
  type: string;
  direction: "in" | "out" | "inout";
  name?: string;
  [key: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers are whatever the app registered.
export type FunctionHandler = (...args: any[]) => unknown;

export interface HttpTriggerInfo {
  kind: "http";
  bindingName: string;
  /** The route template without prefix; the host defaults it to the function name. */
  route: string;
  /** Upper-case; empty means every method. */
  methods: string[];
  authLevel: string;
}

export interface QueueTriggerInfo {
  kind: "queue";
  bindingName: string;
  /** As registered, possibly with `%SETTING%` expressions. */
  queueName: string;
  /** App setting (prefix) naming the storage connection; undefined means `AzureWebJobsStorage`. */
  connection: string | undefined;
}

export interface TimerTriggerInfo {
  kind: "timer";
  bindingName: string;
  /** NCRONTAB as registered, possibly a `%SETTING%` expression. */
  schedule: string;
  runOnStartup: boolean;
}

export interface UnsupportedTriggerInfo {
  kind: "unsupported";
  bindingName: string;
  type: string;
}

export type TriggerInfo = HttpTriggerInfo | QueueTriggerInfo | TimerTriggerInfo | UnsupportedTriggerInfo;

/** A binding in the shape `InvocationContext.options` uses (`type` and `name` always set). */
export interface BindingOptions {
  type: string;
  name: string;
  [key: string]: unknown;
}

export interface InvocationOptions {
  trigger: BindingOptions;
  return: BindingOptions | undefined;
  extraInputs: BindingOptions[];
  extraOutputs: BindingOptions[];
}

export interface RegisteredFunction {
  name: string;
  trigger: TriggerInfo;
  handler: FunctionHandler;
  metadata: CoreFunctionMetadata;
  options: InvocationOptions;
}

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";
export type HookCallback = (coreContext: Record<string, unknown>) => unknown;

export interface Disposable {
  dispose(): void;
}

export interface CoreApi {
  version: string;
  hostVersion: string;
  registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler): Disposable;
  registerHook(hookName: string, callback: HookCallback): Disposable;
  setProgrammingModel(programmingModel: unknown): void;
  getProgrammingModel(): unknown;
  log(level: string, category: string, message: string): void;
}

const isTriggerType = (type: string | undefined) => !!type && /trigger$/i.test(type);

/** Turns one `registerFunction` call into the runner's view of it. Throws on malformed metadata. */
export function toRegisteredFunction(
  metadata: CoreFunctionMetadata,
  handler: FunctionHandler,
): RegisteredFunction {
  if (!metadata || typeof metadata.name !== "string" || metadata.name === "") {
    throw new Error("registerFunction: metadata.name is required");
  }
  if (typeof handler !== "function") {
    throw new Error(`registerFunction("${metadata.name}"): handler must be a function`);
  }
  const entries = Object.entries(metadata.bindings ?? {});
  const triggers = entries.filter(([, b]) => isTriggerType(b.type));
  if (triggers.length !== 1) {
    throw new Error(
      `function "${metadata.name}": expected exactly one trigger binding, found ${triggers.length}`,
    );
  }
  const [triggerName, triggerBinding] = triggers[0] as [string, CoreBinding];

  let trigger: TriggerInfo;
  switch (triggerBinding.type.toLowerCase()) {
    case "httptrigger": {
      const methods = Array.isArray(triggerBinding.methods)
        ? (triggerBinding.methods as unknown[]).map((m) => String(m).toUpperCase())
        : [];
      const route =
        typeof triggerBinding.route === "string" && triggerBinding.route !== ""
          ? triggerBinding.route
          : metadata.name;
      trigger = {
        kind: "http",
        bindingName: triggerName,
        route,
        methods,
        authLevel: typeof triggerBinding.authLevel === "string" ? triggerBinding.authLevel : "function",
      };
      break;
    }
    case "queuetrigger": {
      if (typeof triggerBinding.queueName !== "string" || triggerBinding.queueName === "") {
        throw new Error(`function "${metadata.name}": queueTrigger needs a queueName`);
      }
      trigger = {
        kind: "queue",
        bindingName: triggerName,
        queueName: triggerBinding.queueName,
        connection:
          typeof triggerBinding.connection === "string" && triggerBinding.connection !== ""
            ? triggerBinding.connection
            : undefined,
      };
      break;
    }
    case "timertrigger": {
      if (typeof triggerBinding.schedule !== "string" || triggerBinding.schedule === "") {
        throw new Error(`function "${metadata.name}": timerTrigger needs a schedule`);
      }
      trigger = {
        kind: "timer",
        bindingName: triggerName,
        schedule: triggerBinding.schedule,
        runOnStartup: triggerBinding.runOnStartup === true,
      };
      break;
    }
    default:
      trigger = { kind: "unsupported", bindingName: triggerName, type: triggerBinding.type };
  }

  // Same shape as the library's fromRpcBindings: what the worker hands to InvocationContext.
  const asOptions = (name: string, b: CoreBinding): BindingOptions => ({ ...b, type: b.type, name });
  const options: InvocationOptions = {
    trigger: asOptions(triggerName, triggerBinding),
    return: undefined,
    extraInputs: [],
    extraOutputs: [],
  };
  for (const [name, binding] of entries) {
    if (name === triggerName) continue;
    if (name === "$return") options.return = asOptions(name, binding);
    else if (binding.direction === "in") options.extraInputs.push(asOptions(name, binding));
    else if (binding.direction === "out") options.extraOutputs.push(asOptions(name, binding));
  }
  return { name: metadata.name, trigger, handler, metadata, options };
}

export type CoreLogSink = (level: string, category: string, message: string) => void;

/** What the app registered: functions, hooks and the programming model. */
export class FunctionRegistry {
  readonly functions: RegisteredFunction[] = [];
  readonly hooks = new Map<HookName, HookCallback[]>();
  /** Shared between app hooks, like the worker's `appHookData`. */
  readonly appHookData: Record<string, unknown> = {};
  programmingModel: unknown;
  logSink: CoreLogSink = (level, category, message) => {
    const line = `[${category}] ${message}`;
    if (level === "error" || level === "critical" || level === "warning") console.error(line);
    else if (level !== "trace" && level !== "debug") console.log(line);
  };

  register(metadata: CoreFunctionMetadata, handler: FunctionHandler): Disposable {
    const fn = toRegisteredFunction(metadata, handler);
    if (this.functions.some((f) => f.name.toLowerCase() === fn.name.toLowerCase())) {
      throw new Error(`A function with the name "${fn.name}" has already been registered.`);
    }
    this.functions.push(fn);
    return {
      dispose: () => {
        const i = this.functions.indexOf(fn);
        if (i >= 0) this.functions.splice(i, 1);
      },
    };
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    const known: HookName[] = ["appStart", "appTerminate", "preInvocation", "postInvocation", "log"];
    if (!known.includes(hookName as HookName)) {
      throw new RangeError(`Unrecognized hook "${hookName}"`);
    }
    const list = this.hooks.get(hookName as HookName) ?? [];
    list.push(callback);
    this.hooks.set(hookName as HookName, list);
    return {
      dispose: () => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  hooksFor(name: HookName): HookCallback[] {
    return [...(this.hooks.get(name) ?? [])];
  }

  /** Runs `appStart` / `appTerminate` hooks in registration order. */
  async runAppHooks(name: "appStart" | "appTerminate", functionAppDirectory: string): Promise<void> {
    for (const hook of this.hooksFor(name)) {
      await hook({ hookData: {}, appHookData: this.appHookData, functionAppDirectory });
    }
  }
}

export function createCoreApi(registry: FunctionRegistry): CoreApi {
  return {
    version: "4.0.0-local-runner",
    hostVersion: "4.0.0-local-runner",
    registerFunction: (metadata, handler) => registry.register(metadata, handler),
    registerHook: (hookName, callback) => registry.registerHook(hookName, callback),
    setProgrammingModel: (model) => {
      registry.programmingModel = model;
    },
    getProgrammingModel: () => registry.programmingModel,
    log: (level, category, message) => registry.logSink(level, category, message),
  };
}

type ModuleInternals = {
  _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  _resolveFilename: (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
};

let installed: { registry: FunctionRegistry; uninstall: () => void } | undefined;

/**
 * Makes `require("@azure/functions-core")` return a core API bound to `registry`. Must run before
 * the app first calls `app.*` (the library caches the lookup on first use). Idempotent.
 */
export function installFunctionsCore(registry: FunctionRegistry = new FunctionRegistry()): {
  registry: FunctionRegistry;
  api: CoreApi;
  uninstall: () => void;
} {
  if (installed) {
    throw new Error("the @azure/functions-core provider is already installed in this process");
  }
  const api = createCoreApi(registry);
  const internals = Module as unknown as ModuleInternals;
  const originalLoad = internals._load;
  const originalResolve = internals._resolveFilename;
  internals._load = function load(this: unknown, request, parent, isMain) {
    if (request === CORE_MODULE_ID) return api;
    return originalLoad.call(this, request, parent, isMain);
  };
  internals._resolveFilename = function resolveFilename(this: unknown, request, parent, isMain, options) {
    // require.resolve("@azure/functions-core") should not throw either; the id is its own "file".
    if (request === CORE_MODULE_ID) return CORE_MODULE_ID;
    return originalResolve.call(this, request, parent, isMain, options);
  };
  const uninstall = () => {
    internals._load = originalLoad;
    internals._resolveFilename = originalResolve;
    installed = undefined;
  };
  installed = { registry, uninstall };
  return { registry, api, uninstall };
}
