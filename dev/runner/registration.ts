/**
 * Pure core: what one `registerFunction(metadata, handler)` call from `@azure/functions` v4 means to
 * the runner — the trigger (HTTP, queue, timer, or one it does not run) and the bindings in the shape
 * `InvocationContext.options` uses.
 */

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
