import { resolveBindingExpression, validateQueueName } from "./queue-logic.ts";
import type { QueueTriggerInfo, RegisteredFunction } from "./registration.ts";
import type { StorageConnection } from "./storage.ts";
import { resolveConnection } from "./storage.ts";

/**
 * Pure core: which queue and which storage connection each queue trigger listens on, resolved from
 * app settings (`%SETTING%` names, connection settings) before anything starts, so a bad setting
 * stops start-up naming the function.
 */

export interface QueueBinding {
  fn: RegisteredFunction & { trigger: QueueTriggerInfo };
  queueName: string;
  connection: StorageConnection;
}

/** Resolves every queue trigger's queue name and connection; throws a readable error on bad config. */
export function resolveQueueBindings(
  functions: readonly RegisteredFunction[],
  env: Record<string, string | undefined>,
): QueueBinding[] {
  const bindings: QueueBinding[] = [];
  for (const fn of functions) {
    if (fn.trigger.kind !== "queue") continue;
    const trigger = fn.trigger;
    try {
      const queueName = resolveBindingExpression(trigger.queueName, env);
      const invalid = validateQueueName(queueName);
      if (invalid) throw new Error(invalid);
      const connection = resolveConnection(trigger.connection, env);
      bindings.push({ fn: fn as QueueBinding["fn"], queueName, connection });
    } catch (error) {
      throw new Error(`function "${fn.name}": ${(error as Error).message}`);
    }
  }
  return bindings;
}
