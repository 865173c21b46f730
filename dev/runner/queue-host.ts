import { randomUUID } from "node:crypto";
import type { QueuesOptions } from "./host-config.ts";
import type { InvocationServices } from "./invoke.ts";
import { invoke } from "./invoke.ts";
import { describeError } from "./log.ts";
import type { QueueBinding } from "./queue-bindings.ts";
import { resolveQueueBindings } from "./queue-bindings.ts";
import { QueueListener } from "./queue-listener.ts";
import { buildTriggerMetadata, toTriggerInput } from "./queue-logic.ts";
import { storageQueueOps } from "./queue-storage.ts";
import type { RegisteredFunction } from "./registration.ts";
import { describeConnection, getQueueServiceClient } from "./storage.ts";

/**
 * I/O shell: starts the queue triggers — resolves their bindings, connects a listener per trigger
 * (queue-listener.ts) to its queue (queue-storage.ts), and invokes the function for each message with
 * the host's trigger input and metadata, logging each execution as the host does.
 */

export interface QueueHostOptions {
  functions: readonly RegisteredFunction[];
  env: Record<string, string | undefined>;
  queues: QueuesOptions;
  services: InvocationServices;
}

export interface QueueHost {
  bindings: QueueBinding[];
  /** Stops polling and waits (bounded) for in-flight invocations; resolves true if all finished. */
  stop(graceMs?: number): Promise<boolean>;
}

export async function startQueueHost(options: QueueHostOptions): Promise<QueueHost> {
  const { services, queues } = options;
  const bindings = resolveQueueBindings(options.functions, options.env);
  const listeners: QueueListener[] = [];
  for (const binding of bindings) {
    const service = await getQueueServiceClient(binding.connection);
    const { fn } = binding;
    const listener = new QueueListener({
      functionName: fn.name,
      queueName: binding.queueName,
      ops: storageQueueOps(service, binding.queueName),
      queues,
      logger: services.logger,
      process: async (message, text, signal) => {
        const invocationId = randomUUID();
        const started = performance.now();
        const meta = { functionName: fn.name, invocationId };
        services.logger.write(
          "information",
          fn.name,
          `Executing (queue '${binding.queueName}', message ${message.messageId}, dequeueCount ${message.dequeueCount})`,
          meta,
        );
        try {
          await invoke(services, {
            fn,
            input: toTriggerInput(text),
            invocationId,
            triggerMetadata: buildTriggerMetadata(message, text),
            signal,
          });
        } catch (error) {
          const ms = Math.round(performance.now() - started);
          const detail = error instanceof Error && error.stack ? error.stack : describeError(error);
          services.logger.write("error", fn.name, `Executed (Failed, ${ms}ms): ${detail}`, meta);
          throw error;
        }
        const ms = Math.round(performance.now() - started);
        services.logger.write("information", fn.name, `Executed (Succeeded, ${ms}ms)`, meta);
      },
    });
    listeners.push(listener);
    services.logger.debug(
      fn.name,
      `listening on queue "${binding.queueName}" via ${describeConnection(binding.connection)}`,
    );
  }
  for (const listener of listeners) listener.start();
  let stopping: Promise<boolean> | undefined;
  return {
    bindings,
    stop(graceMs = 30_000) {
      stopping ??= Promise.all(listeners.map((l) => l.stop(graceMs))).then((all) => all.every(Boolean));
      return stopping;
    },
  };
}
