import Module from "node:module";
import type { CoreFunctionMetadata, FunctionHandler, RegisteredFunction } from "./registration.ts";
import { toRegisteredFunction } from "./registration.ts";

// What `registry.functions` holds, for callers that read it without caring how a registration is parsed.
export type { RegisteredFunction } from "./registration.ts";

/**
 * A stand-in for `@azure/functions-core`, the module the Functions host's Node worker provides.
 * `@azure/functions` v4 `require`s it lazily (CJS) and, when present, calls `setProgrammingModel`
 * once and `registerFunction(metadata, handler)` per `app.http` / `app.storageQueue` / … call.
 * Installing this provider before the app is imported captures the app's real registrations.
 * I/O shell: it patches Node's module loader; what a registration means is registration.ts's.
 */

export const CORE_MODULE_ID = "@azure/functions-core";

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
