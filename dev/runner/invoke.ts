import { format } from "node:util";
import type { InvocationContextInit, RetryContext } from "@azure/functions";
import azureFunctions from "@azure/functions";
import type { FunctionRegistry } from "./functions-core.ts";
import type { Logger } from "./log.ts";
import { describeError, normaliseLevel } from "./log.ts";
import type { QueueOutputWriter } from "./outputs.ts";
import { isQueueOutput } from "./outputs.ts";
import type { RegisteredFunction } from "./registration.ts";

// @azure/functions is a webpack CJS bundle: Node's ESM loader only sees some of its named exports
// (not InvocationContext / HttpRequest / HttpResponse), so take them from the default export.
const { InvocationContext } = azureFunctions;
type InvocationContext = InstanceType<typeof InvocationContext>;

/**
 * One invocation the way the worker runs it: an InvocationContext whose logs go to the runner's log,
 * preInvocation hooks (which may swap the handler or inputs), the handler, postInvocation hooks
 * (which may change result or error), then queue output bindings.
 */

export interface InvocationServices {
  registry: FunctionRegistry;
  logger: Logger;
  outputs?: QueueOutputWriter;
}

export interface InvokeArgs {
  fn: RegisteredFunction;
  input: unknown;
  invocationId: string;
  triggerMetadata?: Record<string, unknown>;
  retryContext?: RetryContext;
  signal?: AbortSignal;
}

export interface InvokeResult {
  result: unknown;
  context: InvocationContext;
}

export function createInvocationContext(services: InvocationServices, args: InvokeArgs): InvocationContext {
  const { fn, invocationId } = args;
  const { logger, registry } = services;
  let context: InvocationContext | undefined;
  const logHandler = (level: string, ...values: unknown[]) => {
    let lvl: string = level;
    let message = format(...values);
    const hooks = registry.hooksFor("log");
    if (hooks.length > 0) {
      const hookCtx: Record<string, unknown> = {
        hookData: {},
        appHookData: registry.appHookData,
        level: lvl,
        message,
        category: "user",
        invocationContext: context,
      };
      for (const hook of hooks) {
        try {
          hook(hookCtx);
        } catch (error) {
          logger.write("error", fn.name, `log hook failed: ${describeError(error)}`);
        }
      }
      lvl = String(hookCtx.level);
      message = String(hookCtx.message);
    }
    if (lvl === "none") return;
    logger.write(normaliseLevel(lvl), fn.name, message, { functionName: fn.name, invocationId });
  };
  const init: InvocationContextInit = {
    invocationId,
    functionName: fn.name,
    logHandler,
    triggerMetadata: args.triggerMetadata,
    retryContext: args.retryContext,
    options: fn.options as unknown as InvocationContextInit["options"],
  };
  context = new InvocationContext(init);
  return context;
}

export async function invoke(services: InvocationServices, args: InvokeArgs): Promise<InvokeResult> {
  const { registry } = services;
  const context = createInvocationContext(services, args);
  const hookData: Record<string, unknown> = {};

  const pre: Record<string, unknown> = {
    hookData,
    appHookData: registry.appHookData,
    invocationContext: context,
    functionCallback: args.fn.handler,
    inputs: [args.input],
  };
  for (const hook of registry.hooksFor("preInvocation")) {
    await hook(pre);
  }
  const handler = pre.functionCallback as (...a: unknown[]) => unknown;
  const inputs = (pre.inputs as unknown[]) ?? [args.input];

  let result: unknown;
  let error: unknown;
  let failed = false;
  try {
    result = await handler(...inputs, context);
  } catch (e) {
    error = e;
    failed = true;
  }

  const postHooks = registry.hooksFor("postInvocation");
  if (postHooks.length > 0) {
    const post: Record<string, unknown> = {
      hookData,
      appHookData: registry.appHookData,
      invocationContext: context,
      inputs,
      result,
      error,
    };
    for (const hook of postHooks) {
      await hook(post);
    }
    result = post.result;
    error = post.error;
    failed = post.error !== undefined && post.error !== null;
  }
  if (failed) {
    throw error;
  }

  if (services.outputs) {
    const { fn } = args;
    if (isQueueOutput(fn.options.return)) {
      await services.outputs.write(fn.options.return, result, args.signal);
    }
    for (const binding of fn.options.extraOutputs) {
      if (isQueueOutput(binding)) {
        await services.outputs.write(binding, context.extraOutputs.get(binding.name), args.signal);
      }
    }
  }
  return { result, context };
}
