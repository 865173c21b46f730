/**
 * One chaos run, as a function (`npm run chaos` and the integration test both call it): start the
 * stack, submit the seeded workload while faults, runner kills and an azurite restart hit the app,
 * wait (bounded) until every request is terminal, then check the end against the model.
 *
 * Timeline: owners-API fault phases run from the first submission until every kill and the restart
 * are done and the work is mostly through (or 20 s after the last of them). Kills and the one azurite
 * restart start once the queue intake has drained, and fire at seeded shares of the remaining work (or
 * 30 s after the previous event, so a stalled run still gets them).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { mulberry32 } from "../../dev/simulator/prng.ts";
import { approximateCount } from "../../test/support/queues.ts";
import {
  type AppAccess,
  decide,
  REQUESTS_QUEUE,
  type Submitted,
  statusTableClient,
  submitWorkload,
} from "./drive.ts";
import { FAULT_KINDS, FaultTally, faultPhase } from "./faults.ts";
import { checkRun, type Verdict } from "./model.ts";
import { type Progress, readPoison, readSimulator, StatusWatcher } from "./observe.ts";
import { ChaosStack } from "./stack.ts";
import { generateWorkload, PROTECTED_OWNER, type Workload } from "./workload.ts";

export interface ChaosOptions {
  seed: number;
  changes: number;
  kills: number;
  runners: number;
  /** The whole run, start-up included; what is not terminal by then is reported as such. */
  deadlineMs: number;
  /** ITWIN_HTTP_TIMEOUT_MS for the run; stalls last one second longer. */
  clientTimeoutMs: number;
  /** Extra app settings (e.g. faster crash recovery in the test). */
  env?: Record<string, string>;
  /** Folder to write every runner's output to at the end. */
  keepLogs?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** The JSON line, in this key order. */
export interface ChaosSummary {
  changes: number;
  kills: number;
  lost: number;
  doubleEffects: number;
  wrongFinalState: number;
  nonTerminal: number;
  recoverySeconds: number;
  faults: Record<string, number>;
  seconds: number;
}

export interface ChaosResult {
  summary: ChaosSummary;
  verdict: Verdict;
  /** When things happened, seconds from the start, for the table. */
  timeline: [string, string][];
  /** True when some request never became terminal: recoverySeconds is then only a lower bound. */
  recoveryIsLowerBound: boolean;
  workload: Workload;
  submitted?: Submitted;
}

const PHASE_MS = 2_000;
const POLL_MS = 1_000;
/** How long azurite is down for its restart. */
const AZURITE_DOWN_MS = 2_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const since = (at: number | undefined) =>
    at === undefined ? "-" : `${((at - started) / 1000).toFixed(1)} s`;
  const workload = generateWorkload({ seed: options.seed, changes: options.changes });
  const schedule = mulberry32(options.seed ^ 0x5bd1e995);
  const windowMinutes = removalWindowMinutes(started, options.deadlineMs);

  log(
    `seed ${options.seed}: ${workload.requests.length} changes over ${workload.itwins.length} iTwins, ` +
      `${workload.garbage.length} garbage messages, ${options.kills} kill(s), ${options.runners} runners`,
  );
  const stack = await ChaosStack.start({
    runners: options.runners,
    log,
    ...(options.keepLogs === undefined ? {} : { keepLogs: options.keepLogs }),
    env: {
      ITWIN_HTTP_TIMEOUT_MS: String(options.clientTimeoutMs),
      POLICY_MASS_REMOVAL_THRESHOLD: String(workload.massThreshold),
      POLICY_MASS_REMOVAL_WINDOW_MINUTES: String(windowMinutes),
      POLICY_PROTECTED_OWNERS: PROTECTED_OWNER,
      // Whatever the caller's shell holds, nothing else restricts or signs.
      POLICY_ALLOWED_EMAIL_DOMAINS: "",
      POLICY_ALLOWED_ITWIN_IDS: "",
      POLICY_DRY_RUN: "false",
      POLICY_ALLOW_REMOVING_LAST_OWNER: "false",
      WEBHOOK_SECRETS: "",
      ...options.env,
    },
  });
  try {
    log(
      `stack up in ${since(Date.now())}: azurite, simulator ${stack.simulator.url}, runners ${stack.pids().join(", ")}`,
    );
    stack.seed(workload);
    const tally = new FaultTally();
    tally.observe(stack.simulator.state.faults);
    const app: AppAccess = {
      urls: () => stack.urls(),
      connectionString: stack.azurite.connectionString,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    const events = { kills: [] as number[], azuriteDownAt: undefined as number | undefined };
    const marks: Record<string, number | undefined> = {};
    let progress: Progress = { terminal: 0, held: [], lastTerminalAt: 0 };

    // Submission.
    const submitted: Submitted = {
      idByRequest: new Map(),
      requestByMessageId: new Map(),
      replayMismatches: [],
      duplicateJobs: 0,
    };
    let submissionDone = false;
    let submissionError: Error | undefined;
    let queueSent = false;
    const submission = submitWorkload(workload, app, deadline, {
      onQueueSent: () => {
        queueSent = true;
      },
      log,
    })
      .then((result) => {
        Object.assign(submitted, result);
        marks.submitted = Date.now();
        log(
          `submitted ${workload.requests.length} changes (+ ${result.duplicateJobs} duplicate jobs) by ${since(Date.now())}`,
        );
      })
      .catch((error: Error) => {
        submissionError = error;
        log(`submission failed: ${error.message}`);
      })
      .finally(() => {
        submissionDone = true;
      });

    // Kills and the azurite restart, once the queue intake has drained (a request message in the hands
    // of a killed runner waits out the host's 10-minute visibility, outside the recovery bound), at
    // seeded points of the remaining work.
    type Event = { kind: "kill" | "azurite"; share: number };
    const plan: Event[] = [
      ...Array.from({ length: options.kills }, () => ({
        kind: "kill" as const,
        share: 0.05 + 0.65 * schedule(),
      })),
      { kind: "azurite" as const, share: 0.05 + 0.65 * schedule() },
    ].sort((a, b) => a.share - b.share);
    const intakeDrained = async () => {
      try {
        return queueSent && (await approximateCount(app.connectionString, REQUESTS_QUEUE)) === 0;
      } catch {
        return false;
      }
    };
    let monkeyDoneAt: number | undefined;
    const monkey = (async () => {
      while (!(await intakeDrained())) {
        if (Date.now() >= deadline || options.signal?.aborted) return;
        await delay(500);
      }
      marks.intakeDrained = Date.now();
      const base = progress.terminal;
      log(`queue intake drained at ${since(marks.intakeDrained)}, ${base} terminal`);
      let previous = Date.now();
      for (const event of plan) {
        const target = base + event.share * (workload.requests.length - base);
        while (progress.terminal < target && Date.now() - previous < 30_000) {
          if (Date.now() >= deadline || options.signal?.aborted) return;
          await delay(200);
        }
        if (event.kind === "kill") {
          const victim = Math.floor(schedule() * stack.urls().length);
          const kill = await stack.killAndReplace(victim);
          events.kills.push(kill.at);
          log(`kill ${events.kills.length} at ${since(kill.at)}, ${progress.terminal} terminal`);
        } else {
          events.azuriteDownAt = Date.now();
          log(
            `azurite down at ${since(events.azuriteDownAt)} for ${AZURITE_DOWN_MS} ms, ${progress.terminal} terminal`,
          );
          await stack.restartAzurite(AZURITE_DOWN_MS);
          marks.azuriteUp = Date.now();
          log(`azurite back at ${since(marks.azuriteUp)}`);
        }
        previous = Date.now();
      }
      monkeyDoneAt = Date.now();
    })()
      .catch((error: Error) => {
        log(`kill/restart failed: ${error.message}`);
      })
      .finally(() => {
        monkeyDoneAt ??= Date.now();
      });

    // Owners-API fault phases.
    let faultsOn = true;
    marks.faultsStarted = Date.now();
    const faults = (async () => {
      while (faultsOn && Date.now() < deadline && !options.signal?.aborted) {
        stack.simulator.state.setFaults(faultPhase(schedule, options.clientTimeoutMs).config);
        await delay(PHASE_MS);
      }
      stack.simulator.state.clearFaults();
    })();

    // Wait for the end: every request terminal, held removals decided.
    const watcher = new StatusWatcher(statusTableClient(app.connectionString), workload, submitted);
    const decisions = new Map<number, "approve" | "reject">();
    const decided = new Set<number>();
    let lastReport = 0;
    while (Date.now() < deadline) {
      options.signal?.throwIfAborted();
      try {
        progress = await watcher.poll();
      } catch (error) {
        // Storage is down for its restart, or busy: look again next time.
        if (Date.now() - lastReport > 5_000)
          log(`status poll failed: ${(error as Error).message.split("\n")[0]}`);
      }
      for (const { index, id } of progress.held) {
        if (decided.has(index) || workload.requests[index]?.category !== "mass-remove") continue;
        const approve =
          decisions.get(index) ?? (mulberry32(options.seed * 7919 + index)() < 0.5 ? "approve" : "reject");
        decisions.set(index, approve);
        if (
          await decide(app, id, approve === "approve", Math.min(deadline, Date.now() + 30_000)).catch(
            () => false,
          )
        ) {
          decided.add(index);
        }
      }
      if (
        faultsOn &&
        submissionDone &&
        monkeyDoneAt !== undefined &&
        (progress.terminal >= 0.8 * workload.requests.length || Date.now() - monkeyDoneAt >= 20_000)
      ) {
        faultsOn = false;
        marks.faultsStopped = Date.now();
        log(`owner-API faults off at ${since(marks.faultsStopped)}, ${progress.terminal} terminal`);
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        log(`${progress.terminal}/${workload.requests.length} terminal, ${progress.held.length} held`);
      }
      if (submissionDone && monkeyDoneAt !== undefined && progress.terminal === workload.requests.length)
        break;
      await delay(POLL_MS, undefined, { signal: options.signal });
    }
    marks.waitEnded = Date.now();
    faultsOn = false;
    await faults;
    await Promise.all([submission, monkey]);
    log(
      `waited until ${since(marks.waitEnded)}: ${progress.terminal}/${workload.requests.length} terminal; reading the end state`,
    );

    const docs = await watcher.documents();
    const simulatorEnd = readSimulator(stack.simulator, workload);
    const verdict = checkRun(workload, {
      ...docs,
      replayMismatches: submitted.replayMismatches,
      ...simulatorEnd,
      ...(await readPoison(app.connectionString)),
      decisions,
    });
    if (options.keepLogs !== undefined) {
      // Beside the runners' output: every request with its documents, and every write, to trace a problem.
      await mkdir(options.keepLogs, { recursive: true });
      const lines = (items: unknown[]) => items.map((item) => JSON.stringify(item)).join("\n");
      await writeFile(
        join(options.keepLogs, "requests.jsonl"),
        lines(workload.requests.map((request) => ({ request, docs: docs.docsByRequest[request.index] }))),
      );
      await writeFile(join(options.keepLogs, "writes.jsonl"), lines([...simulatorEnd.writes]));
    }
    if (submissionError) verdict.problems.unshift(`submission failed: ${submissionError.message}`);

    const lastFaultAt = Math.max(tally.lastAt ?? 0, ...events.kills, events.azuriteDownAt ?? 0);
    const terminalTimes = docs.docsByRequest
      .map((list) => list[0])
      .filter((doc) => doc !== undefined && ["succeeded", "failed", "rejected"].includes(doc.status))
      .map((doc) => Date.parse((doc as { updatedAt: string }).updatedAt));
    const recoveryIsLowerBound = terminalTimes.length < workload.requests.length;
    const lastTerminalAt = recoveryIsLowerBound ? (marks.waitEnded as number) : Math.max(0, ...terminalTimes);
    const summary: ChaosSummary = {
      changes: workload.requests.length,
      kills: events.kills.length,
      lost: verdict.lost,
      doubleEffects: verdict.doubleEffects,
      wrongFinalState: verdict.wrongFinalState,
      nonTerminal: verdict.nonTerminal,
      recoverySeconds: Math.round(Math.max(0, lastTerminalAt - lastFaultAt) / 100) / 10,
      faults: {
        ...Object.fromEntries(FAULT_KINDS.map((kind) => [kind, tally.counts[kind]])),
        kill: events.kills.length,
        "azurite-restart": events.azuriteDownAt === undefined ? 0 : 1,
      },
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const timeline: [string, string][] = [
      ["submission done", since(marks.submitted)],
      ["queue intake drained", since(marks.intakeDrained)],
      ["kills", events.kills.map((at) => since(at)).join(", ") || "-"],
      ["azurite down / back", `${since(events.azuriteDownAt)} / ${since(marks.azuriteUp)}`],
      ["owners-API faults off", since(marks.faultsStopped)],
      ["last fault of any kind", since(lastFaultAt || undefined)],
      ["last change terminal", recoveryIsLowerBound ? "(not all terminal)" : since(lastTerminalAt)],
      [
        "re-driven by crash recovery",
        `${docs.docsByRequest.filter((list) => (list[0]?.recoveries ?? 0) > 0).length} change(s)`,
      ],
      ["removal window (minutes)", String(windowMinutes)],
      [
        "held removals decided",
        `${[...decisions.values()].filter((d) => d === "approve").length} approved, ${[...decisions.values()].filter((d) => d === "reject").length} rejected`,
      ],
    ];
    return { summary, verdict, timeline, recoveryIsLowerBound, workload, submitted };
  } finally {
    await stack.stop();
  }
}

/**
 * The mass-removal window for the run: windows are aligned to multiples of their length, so a run
 * that straddled a boundary would count its removals in two windows and hold fewer. The longest
 * window of at most a day that holds the whole run is chosen.
 */
export function removalWindowMinutes(now: number, spanMs: number): number {
  for (let minutes = 1_440; minutes > 1; minutes--) {
    const length = minutes * 60_000;
    if (Math.floor(now / length) === Math.floor((now + spanMs + 60_000) / length)) return minutes;
  }
  throw new Error("no removal window holds the run");
}
