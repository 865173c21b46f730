import type { MessageEncoding } from "./host-config.ts";
import { encodeMessageText, resolveBindingExpression } from "./queue-logic.ts";
import type { BindingOptions, RegisteredFunction } from "./registration.ts";
import { getQueueServiceClient, resolveConnection } from "./storage.ts";

/**
 * Output bindings the runner performs after a successful invocation. Only storage queue outputs
 * (`output.storageQueue`, as `return` or in `extraOutputs`) are supported; the app in this project
 * writes its queues and tables through its own clients, so this is a convenience.
 */

export function isQueueOutput(binding: BindingOptions | undefined): binding is BindingOptions {
  return !!binding && binding.type.toLowerCase() === "queue";
}

/** Output bindings of a function the runner will ignore (everything except http and queue). */
export function unsupportedOutputs(fn: RegisteredFunction): BindingOptions[] {
  const outputs = [...(fn.options.return ? [fn.options.return] : []), ...fn.options.extraOutputs];
  return outputs.filter((b) => !["http", "queue"].includes(b.type.toLowerCase()));
}

/** Unsupported extra inputs (the runner never fills `context.extraInputs`). */
export function unsupportedInputs(fn: RegisteredFunction): BindingOptions[] {
  return fn.options.extraInputs;
}

/** The messages an output value stands for: arrays fan out; objects become JSON. */
export function toOutputMessages(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items
    .filter((item) => item !== undefined && item !== null)
    .map((item) => {
      if (typeof item === "string") return item;
      if (Buffer.isBuffer(item) || item instanceof Uint8Array) return Buffer.from(item).toString("utf8");
      return JSON.stringify(item);
    });
}

export class QueueOutputWriter {
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly encoding: MessageEncoding,
  ) {}

  async write(binding: BindingOptions, value: unknown, signal?: AbortSignal): Promise<number> {
    const messages = toOutputMessages(value);
    if (messages.length === 0) return 0;
    if (typeof binding.queueName !== "string") {
      throw new Error(`queue output "${binding.name}" has no queueName`);
    }
    const queueName = resolveBindingExpression(binding.queueName, this.env);
    const conn = resolveConnection(
      typeof binding.connection === "string" ? binding.connection : undefined,
      this.env,
    );
    const service = await getQueueServiceClient(conn);
    const queue = service.getQueueClient(queueName);
    await queue.createIfNotExists({ abortSignal: signal });
    for (const text of messages) {
      await queue.sendMessage(encodeMessageText(text, this.encoding), { abortSignal: signal });
    }
    return messages.length;
  }
}
