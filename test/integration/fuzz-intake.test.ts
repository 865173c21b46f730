import { AsyncLocalStorage } from "node:async_hooks";
import { Buffer } from "node:buffer";
import { domainToASCII } from "node:url";
import azureFunctions from "@azure/functions";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  FunctionRegistry,
  installFunctionsCore,
  type RegisteredFunction,
} from "../../dev/runner/functions-core.ts";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { appEnv } from "../../dev/stack/credentials.ts";
import { approximateCount } from "../../dev/stack/queues.ts";
import { normaliseEmail } from "../../src/changes/email.ts";
import type { Job, JobBundle, StatusDocument } from "../../src/changes/model.ts";
import type { Services } from "../../src/services.ts";
import type { PoisonEnvelope } from "../../src/storage/messages.ts";
import {
  type Answer,
  checkAnswer,
  emailArb,
  freshCase,
  freshen,
  freshTag,
  goodKeyArb,
  type HttpCase,
  type HttpExpectation,
  messageText,
  type QueueCase,
  queueCaseArb,
  type SignedCase,
  signedCaseArb,
  signedExpectation,
  signedHeaders,
  triggerInput,
  unsignedCaseArb,
  validChangeArb,
  WEBHOOK_SECRETS,
} from "../support/intake-cases.ts";

/**
 * Property-based fuzzing of both intakes (issue 8 §3): the app's real registered handlers, called
 * in-process the way the host calls them (HttpRequest / InvocationContext from @azure/functions),
 * against a real in-memory azurite. Ten thousand HTTP round trips through a runner would take minutes;
 * the shell in front (runner, sockets, the body limit on the wire) is sampled in
 * fuzz-intake-runner.test.ts.
 *
 * Effects are observed at the storage clients (every table write and queue send, with its outcome)
 * and attributed to the input that caused them through AsyncLocalStorage, so the inputs of one
 * property run can be handled concurrently, as a host does. At the end the counts are checked against
 * what azurite holds, so the observation cannot have missed a write. Seeded: a failure prints the seed
 * and the shrunk counterexample.
 */

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

const SEED = 20_260_811;
/** Inputs handled at once per property run: storage latency overlaps, as with the host's concurrency. */
const PARALLEL = 8;
/** Property runs; each handles PARALLEL inputs (a replay case sends three). */
const RUNS = { unsigned: 600, replay: 15, queue: 440, signed: 150, signedReplay: 10 };
const MIN_TOTAL = 10_000;
/** About half a minute on an idle 2-core machine; the bound leaves room for a loaded one. */
const PROPERTY_TIMEOUT_MS = 300_000;
const INTAKE_URL = "http://127.0.0.1:7071/api/owner-changes";

interface Effect {
  target: "jobs" | "poison" | "table";
  method: string;
  ok: boolean;
  payload: unknown;
}

interface App {
  submit: RegisteredFunction;
  intake: RegisteredFunction;
  services: Services;
}

let azurite: AzuriteInstance;
let core: ReturnType<typeof installFunctionsCore>;
const savedEnv = { ...process.env };
const scope = new AsyncLocalStorage<Effect[]>();
/** Writes made outside any input's scope: there must be none. */
const stray: Effect[] = [];
const totals = { created: 0, jobs: 0, poison: 0, inputs: 0 };
const tally = new Map<string, number>();
let sequence = 0;
let seedOffset = 0;

const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
/** One seed per property: the same seed twice would draw the same tags and join unrelated requests. */
const nextSeed = () => SEED + seedOffset++;
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
const batchOf = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: PARALLEL, maxLength: PARALLEL });

/** Wraps the clients' write methods to record each call and whether it succeeded; behaviour is unchanged. */
function observe(target: Effect["target"], client: object, methods: readonly string[]) {
  const record = client as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of methods) {
    const original = record[method]?.bind(client);
    if (original === undefined) throw new Error(`${target} has no ${method}`);
    record[method] = async (...args: unknown[]) => {
      const effects = scope.getStore() ?? stray;
      try {
        const result = await original(...args);
        effects.push({ target, method, ok: true, payload: args[0] });
        return result;
      } catch (error) {
        effects.push({ target, method, ok: false, payload: args[0] });
        throw error;
      }
    };
  }
}

/** Imports the app's function modules afresh under `env` and returns what they registered. */
async function loadApp(env: Record<string, string>): Promise<App> {
  core.registry.functions.length = 0;
  vi.resetModules();
  Object.assign(process.env, env);
  await import("../../src/functions/submit-owner-changes.ts");
  await import("../../src/functions/owner-change-requests.ts");
  const { services } = await import("../../src/services.ts");
  const byName = (name: string) => {
    const fn = core.registry.functions.find((f) => f.name === name);
    if (fn === undefined) throw new Error(`${name} was not registered`);
    return fn;
  };
  const app = {
    submit: byName("submitOwnerChanges"),
    intake: byName("ownerChangeRequestsIntake"),
    services: services(),
  };
  await app.services.ready();
  const { storage } = app.services;
  observe("jobs", storage.jobsQueue, ["sendMessage"]);
  // A batch's jobs: one bundle message, fanned out later by fanOutJobBundles (not registered here).
  observe("jobs", storage.jobBundlesQueue, ["sendMessage"]);
  observe("poison", storage.requestsPoisonQueue, ["sendMessage"]);
  observe("table", storage.statusTable, [
    "createEntity",
    "upsertEntity",
    "updateEntity",
    "deleteEntity",
    "submitTransaction",
  ]);
  return app;
}

function context(fn: RegisteredFunction, triggerMetadata?: Record<string, unknown>) {
  sequence += 1;
  return new InvocationContext({
    invocationId: `fuzz-${sequence}`,
    functionName: fn.name,
    logHandler: () => undefined,
    triggerMetadata,
    options: fn.options as never,
  });
}

/** What one input did: the answer (HTTP) and every write it caused. */
interface Outcome extends Answer {
  effects: Effect[];
}

async function post(app: App, headers: Record<string, string>, body: Uint8Array): Promise<Outcome> {
  totals.inputs += 1;
  const effects: Effect[] = [];
  const request = new HttpRequest({ method: "POST", url: INTAKE_URL, headers, body: { bytes: body } });
  let result: unknown;
  try {
    result = await scope.run(effects, () => app.submit.handler(request, context(app.submit)));
  } catch (error) {
    throw new Error(`the HTTP handler threw: ${(error as Error).stack}`);
  }
  const response = new HttpResponse(result as never);
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${response.status} answer is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, json, effects };
}

const writes = (o: Pick<Outcome, "effects">, target: Effect["target"]) =>
  o.effects.filter((e) => e.target === target && e.ok);
/** Status documents inserted (the store also inserts a pending-index row per new request). */
const created = (o: Pick<Outcome, "effects">) =>
  writes(o, "table")
    .filter((e) => e.method === "createEntity" && (e.payload as { rowKey: string }).rowKey === "status")
    .map((e) => JSON.parse((e.payload as { document: string }).document) as StatusDocument);
/** The jobs an answer sent: each message is a job, or a batch's bundle of them (design §2.1). */
const jobs = (o: Pick<Outcome, "effects">) =>
  writes(o, "jobs").flatMap((e) => {
    const message = JSON.parse(e.payload as string) as Job | JobBundle;
    return "jobs" in message ? message.jobs : [message];
  });

function expectOneSpelling(email: string) {
  expect(email).toMatch(/^[!-~]+$/);
  expect(email).toBe(email.toLowerCase());
  expect(normaliseEmail(email)).toEqual({ ok: true, email });
}

/** An answer's rules (checkAnswer), and what it left behind: nothing for a 4xx. */
function checkGeneral(o: Outcome, expected: HttpExpectation = { status: "any" }): unknown[] {
  const ids = checkAnswer(o, expected);
  if (o.status >= 400) {
    // A refused request leaves nothing behind: no status document, no job, nothing in any queue.
    expect(
      o.effects.filter((e) => e.ok),
      JSON.stringify(o.effects),
    ).toEqual([]);
  }
  return ids;
}

/** A fresh 202: one new status document and one job per change, with the address in its one spelling. */
function checkAccepted(o: Outcome, ids: unknown[]) {
  expect(o.headers.get("idempotent-replayed")).toBeNull();
  const docs = created(o);
  expect(docs.map((doc) => doc.id).sort()).toEqual([...ids].sort());
  const sent = jobs(o);
  expect(sent.map((job) => job.requestId).sort()).toEqual([...ids].sort());
  for (const doc of docs) {
    expect(doc).toMatchObject({ status: "queued", via: "http", attempts: 0 });
    expectOneSpelling(doc.email);
  }
  for (const job of sent) expectOneSpelling(job.email);
  expect(writes(o, "poison")).toEqual([]);
}

function checkExpected(o: Outcome, expected: HttpExpectation) {
  const ids = checkGeneral(o, expected);
  if (o.status !== 202) return;
  // Every input here is fresh (its tag is new), so every 202 made new requests.
  checkAccepted(o, ids);
  totals.created += ids.length;
  totals.jobs += writes(o, "jobs").length;
}

const utf8 = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  azurite = await startAzurite();
  core = installFunctionsCore(new FunctionRegistry());
}, 60_000);

afterAll(async () => {
  core?.uninstall();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  const lines = [...tally.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`);
  console.log(`fuzz-intake: ${totals.inputs} generated inputs (seed ${SEED})\n  ${lines.join("\n  ")}`);
  await azurite?.close();
});

describe("fuzzed intake", () => {
  let app: App;
  const started = Date.now();
  const baseEnv = () => appEnv(azurite, { url: "http://127.0.0.1:9" });

  it(
    "HTTP: every answer is 202 or a 4xx problem naming the field, and a 4xx has no effect",
    async () => {
      app = await loadApp(baseEnv());
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(batchOf(unsignedCaseArb), async (cases: HttpCase[]) => {
          runs += 1;
          const outcomes = await Promise.all(
            cases.map((c) => {
              const { headers, body } = freshCase(c, freshTag());
              return post(app, headers, body);
            }),
          );
          cases.forEach((c, i) => {
            const status = outcomes[i]?.status;
            count(`http ${c.kind} → ${c.expect.status === "any" ? `any: ${status}` : c.expect.status}`);
            checkExpected(outcomes[i] as Outcome, c.expect);
          });
        }),
        { seed: nextSeed(), numRuns: RUNS.unsigned },
      );
      expect(runs).toBe(RUNS.unsigned);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "HTTP: a repeat is the same request in any spelling of the address; another payload under its key is 422",
    async () => {
      let runs = 0;
      const caseArb = fc.tuple(
        fc.boolean(),
        validChangeArb(0).map((change) => ({ ...change, action: String(change.action) })),
        goodKeyArb,
        emailArb,
      );
      const replay = async ([byBodyId, change, key, email]: ValueOf<typeof caseArb>) => {
        count(`http replay by ${byBodyId ? "body id" : "Idempotency-Key"}`);
        const tag = freshTag();
        const headers = {
          "content-type": "application/json",
          ...(byBodyId ? {} : { "idempotency-key": freshen(key, tag) }),
        };
        const withEmail = { ...change, id: tag, email };
        const first = await post(app, headers, utf8(withEmail));
        checkExpected(first, { status: 202 });

        // The same person spelled otherwise: upper case, the domain in punycode (node's reference).
        const address = email.trim();
        const at = address.lastIndexOf("@");
        const respelled = `${address.slice(0, at).toUpperCase()}@${domainToASCII(address.slice(at + 1)).toUpperCase()}`;
        const again = await post(app, headers, utf8({ ...withEmail, email: ` ${respelled} ` }));
        checkGeneral(again);
        expect(again.status).toBe(202);
        expect(again.json.id).toBe(first.json.id);
        expect(again.headers.get("idempotent-replayed")).toBe("true");
        expect(created(again)).toEqual([]);
        totals.jobs += writes(again, "jobs").length; // a repeat of a change no worker took yet sends its job again

        const flipped = change.action.trim().toLowerCase() === "add" ? "remove" : "add";
        const other = await post(app, headers, utf8({ ...withEmail, action: flipped }));
        expect(other.status, JSON.stringify(other.json)).toBe(422);
        expect(other.headers.get("content-type")).toBe("application/problem+json");
        expect(writes(other, "jobs")).toEqual([]);
        expect(created(other)).toEqual([]);
        // The status row is never written; the pending-index row the store keeps per request is its concern.
        expect(
          writes(other, "table").filter((e) => (e.payload as { rowKey: string }).rowKey === "status"),
        ).toEqual([]);
      };
      await fc.assert(
        fc.asyncProperty(batchOf(caseArb), async (cases) => {
          runs += 1;
          await Promise.all(cases.map(replay));
        }),
        { seed: nextSeed(), numRuns: RUNS.replay },
      );
      expect(runs).toBe(RUNS.replay);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "queue: a valid message is accepted, every malformed one is poisoned with the reason",
    async () => {
      let runs = 0;
      const deliver = async (c: QueueCase) => {
        totals.inputs += 1;
        const messageId = freshTag();
        const text = messageText(c, messageId);
        const meta = { id: messageId, dequeueCount: 1, queueTrigger: text, popReceipt: "p" };
        const effects: Effect[] = [];
        try {
          await scope.run(effects, () =>
            app.intake.handler(triggerInput(c, text), context(app.intake, meta)),
          );
        } catch (error) {
          throw new Error(`the queue handler threw: ${(error as Error).stack}`);
        }
        return { messageId, text, effects };
      };
      await fc.assert(
        fc.asyncProperty(batchOf(queueCaseArb), async (cases: QueueCase[]) => {
          runs += 1;
          const outcomes = await Promise.all(cases.map(deliver));
          cases.forEach((c, i) => {
            const o = outcomes[i] as Awaited<ReturnType<typeof deliver>>;
            const [jobsSent, poisoned, docs] = [writes(o, "jobs"), writes(o, "poison"), created(o)];
            const accepted = docs.length === 1 && jobsSent.length === 1 && poisoned.length === 0;
            const refused = poisoned.length === 1 && docs.length === 0 && jobsSent.length === 0;
            expect(accepted !== refused, JSON.stringify(o.effects)).toBe(true);
            count(`queue ${c.kind} → ${accepted ? "accepted" : "poisoned"}`);
            if (c.expect.accepted !== "any") expect(accepted, o.text).toBe(c.expect.accepted);
            if (accepted) {
              const [doc] = docs as [StatusDocument];
              expect(doc).toMatchObject({ status: "queued", via: "queue", correlationId: o.messageId });
              expect(jobs(o)[0]?.requestId).toBe(doc.id);
              expectOneSpelling(doc.email);
              totals.created += 1;
              totals.jobs += 1;
              return;
            }
            const envelope = JSON.parse(poisoned[0]?.payload as string) as PoisonEnvelope;
            expect(envelope.reason).toMatch(/\S/);
            expect(envelope).toMatchObject({ original: o.text, messageId: o.messageId });
            if (c.expect.accepted === false && c.expect.paths !== undefined) {
              expect([...new Set(envelope.errors?.map((e) => e.path))].sort(), envelope.reason).toEqual(
                [...c.expect.paths].sort(),
              );
            }
            totals.poison += 1;
          });
        }),
        { seed: nextSeed(), numRuns: RUNS.queue },
      );
      expect(runs).toBe(RUNS.queue);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "HTTP with WEBHOOK_SECRETS: only validly signed, fresh deliveries get past 401",
    async () => {
      app = await loadApp({ ...baseEnv(), WEBHOOK_SECRETS: WEBHOOK_SECRETS.join(",") });
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(batchOf(signedCaseArb), async (cases: SignedCase[]) => {
          runs += 1;
          const outcomes = await Promise.all(
            cases.map((c) => {
              const tag = freshTag();
              const { headers, body } = freshCase(c.base, tag);
              return post(app, { ...headers, ...signedHeaders(c.signing, tag, body, nowSeconds()) }, body);
            }),
          );
          cases.forEach((c, i) => {
            const expected = signedExpectation(c);
            count(`signed ${c.signing.how} → ${expected.status}`);
            checkExpected(outcomes[i] as Outcome, expected);
          });
        }),
        { seed: nextSeed(), numRuns: RUNS.signed },
      );
      expect(runs).toBe(RUNS.signed);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "HTTP with WEBHOOK_SECRETS: a redelivery (same webhook-id) is the same request",
    async () => {
      let runs = 0;
      const redeliver = async (change: unknown) => {
        count("signed redelivery");
        const tag = freshTag();
        const body = freshen(utf8(change), tag);
        const signing = { how: "valid", secret: 1, ageSeconds: 0, extra: "none" } as const;
        const deliver = () =>
          post(
            app,
            { "content-type": "application/json", ...signedHeaders(signing, tag, body, nowSeconds()) },
            body,
          );
        const first = await deliver();
        checkExpected(first, { status: 202 });
        const again = await deliver();
        checkGeneral(again);
        expect(again.status).toBe(202);
        expect(again.json.id).toBe(first.json.id);
        expect(created(again)).toEqual([]);
        totals.jobs += writes(again, "jobs").length;
      };
      await fc.assert(
        fc.asyncProperty(batchOf(validChangeArb(0)), async (cases) => {
          runs += 1;
          await Promise.all(cases.map(redeliver));
        }),
        { seed: nextSeed(), numRuns: RUNS.signedReplay },
      );
      expect(runs).toBe(RUNS.signedReplay);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(`ran at least ${MIN_TOTAL} generated inputs, and azurite holds exactly what the handlers were seen to write`, async () => {
    console.log(`fuzz-intake: ${totals.inputs} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(totals.inputs).toBeGreaterThanOrEqual(MIN_TOTAL);
    expect(stray).toEqual([]);
    let statusRows = 0;
    const rows = app.services.storage.statusTable.listEntities({
      queryOptions: { filter: "RowKey eq 'status'", select: ["RowKey"] },
    });
    for await (const _row of rows) statusRows += 1;
    expect(statusRows).toBe(totals.created);
    const { connectionString } = azurite;
    const queued = await Promise.all(
      ["owner-change-jobs", "owner-change-jobs-bundles"].map((queue) =>
        approximateCount(connectionString, queue),
      ),
    );
    expect(queued.reduce((sum, count) => sum + count, 0)).toBe(totals.jobs);
    expect(await approximateCount(connectionString, "owner-change-requests-poison")).toBe(totals.poison);
  }, 60_000);
});
