import * as z from "zod";
import { POISON_QUEUES } from "./plan.ts";

/**
 * The bodies of `GET /api/poison/{queue}` and `POST /api/poison/{queue}/replay` (design §3): what the
 * handler validates and answers, and what the OpenAPI document and the CLI read. Responses carry no
 * transforms, so each schema describes exactly the JSON on the wire.
 */

export const MAX_REPLAY = 1000;
export const DEFAULT_REPLAY = 100;
/** A peek (list, dry run) sees at most this many messages: the queue service's limit per call. */
export const PEEK_LIMIT = 32;

export const poisonQueueSchema = z.enum(POISON_QUEUES).meta({
  id: "PoisonQueue",
  description: "requests: owner-change-requests-poison; jobs: owner-change-jobs-poison",
});

export const poisonMessageSchema = z
  .object({
    messageId: z.string(),
    insertedOn: z.string().meta({ description: "ISO-8601 instant the message entered the poison queue" }),
    reason: z.string().meta({ description: "why it is there, for people" }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    function: z.string().optional().meta({ description: "the function that moved it (our envelope only)" }),
    dequeueCount: z.number().int().optional(),
    poisonedAt: z.string().optional(),
    change: z
      .object({
        itwinId: z.string().optional(),
        email: z.string().optional(),
        action: z.string().optional(),
        requestId: z.string().optional().meta({ description: "the change a poisoned job belonged to" }),
      })
      .optional()
      .meta({ description: "what the message asks for, as far as it can be read" }),
  })
  .meta({ id: "PoisonMessage" });
export type PoisonMessage = z.output<typeof poisonMessageSchema>;

export const poisonListSchema = z
  .object({
    queue: poisonQueueSchema,
    messages: z
      .array(poisonMessageSchema)
      .meta({ description: `the first ${PEEK_LIMIT}; nothing is changed` }),
  })
  .meta({ id: "PoisonList" });
export type PoisonList = z.output<typeof poisonListSchema>;

export const replayRequestSchema = z
  .strictObject({
    ids: z.array(z.string().trim().min(1).max(100)).min(1).max(MAX_REPLAY).optional(),
    all: z.boolean().optional(),
    max: z.number().int().min(1).max(MAX_REPLAY).default(DEFAULT_REPLAY),
    dryRun: z.boolean().default(false),
  })
  .refine((body) => body.all === true || (body.ids?.length ?? 0) > 0, {
    path: ["ids"],
    message: "name the messages to replay with ids, or set all to true",
  })
  .meta({ id: "PoisonReplayRequest" });
export type ReplayRequest = z.output<typeof replayRequestSchema>;

export const replayResultSchema = z
  .object({
    queue: poisonQueueSchema,
    dryRun: z.boolean(),
    replayed: z.array(
      z.object({
        messageId: z.string(),
        requestId: z.string().optional().meta({
          description: "the new request a replayed job becomes (jobs queue); follow it by its status",
        }),
      }),
    ),
    skipped: z.array(z.object({ messageId: z.string(), reason: z.string() })),
  })
  .meta({ id: "PoisonReplayResult" });
export type ReplayResult = z.output<typeof replayResultSchema>;
