/**
 * One chaos run, as a function (`npm run chaos` and the integration test both call it): start the
 * stack, submit the seeded workload while faults, runner kills and an azurite restart hit the app,
 * wait (bounded) until every request is terminal, then check the end against the model.
 *
 * Four activities run side by side (methods of `ChaosRun`): the submission, the crashes (kills and the
 * restart), the owners-API fault phases, and the wait, which also decides held removals.
 *
 * Timeline: owners-API fault phases run from the first submission until every kill and the restart
 * are done and 80 % of the changes are terminal (or 20 s after the last of them). Kills and the one
 * azurite restart start once the queue intake has drained — a request message in the hands of a killed
 * runner waits out the host's 10-minute visibility, which no recovery can shorten — and fire at seeded
 * shares of the remaining work (or 30 s after the previous event, so a stalled run still gets them).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { mulberry32 } from "../../dev/simulator/prng.ts";
import { approximateCount } from "../../dev/stack/queues.ts";
import {
  type AppAccess,
  decide,
  REQUESTS_QUEUE,
  type Submitted,
  statusTableClient,
  submitWorkload,
} from "./drive.ts";
import { FAULT_KINDS, FaultTally, faultPhase } from "./faults.ts";
import { checkRun, type ObservedDoc, type Verdict } from "./model.ts";
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
  /** Folder for every runner's output, the requests with their documents, and the write log. */
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
}

const PHASE_MS = 2_000;
const POLL_MS = 1_000;
/** How long azurite is down for its restart. */
const AZURITE_DOWN_MS = 2_000;
/** Seeds of the independent random streams, so that timing never shifts one stream's draws into another. */
const STREAM = { phases: 0x5bd1e995, crashes: 0x27d4eb2f };

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const workload = generateWorkload({ seed: options.seed, changes: options.changes });
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
    log(`stack up: azurite, simulator ${stack.simulator.url}, runners ${stack.pids().join(", ")}`);
    const run = new ChaosRun(options, workload, stack, started, log);
    const result = await run.execute();
    result.timeline.push(["removal window (minutes)", String(windowMinutes)]);
    return result;
  } finally {
    await stack.stop();
  }
}

class ChaosRun {
  readonly #deadline: number;
  readonly #app: AppAccess;
  readonly #tally = new FaultTally();
  readonly #submitted: Submitted = {
    idByRequest: new Map(),
    requestByMessageId: new Map(),
    replayMismatches: [],
    duplicateJobs: 0,
  };
  /** Moments for the timeline (epoch ms). */
  readonly #marks: Record<string, number | undefined> = {};
  readonly #kills: number[] = [];
  /** The harness's decision per held removal, by request index. */
  readonly #decisions = new Map<number, "approve" | "reject">();
  #progress: Progress = { terminal: 0, held: [] };
  #queueSent = false;
  #submissionDone = false;
  #submissionError: Error | undefined;
  #crashesDone = false;
  #faultsOn = true;

  constructor(
    private readonly options: ChaosOptions,
    private readonly workload: Workload,
    private readonly stack: ChaosStack,
    private readonly started: number,
    private readonly log: (line: string) => void,
  ) {
    this.#deadline = started + options.deadlineMs;
    this.#app = {
      urls: () => stack.urls(),
      connectionString: stack.azurite.connectionString,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
  }

  async execute(): Promise<ChaosResult> {
    this.stack.seed(this.workload);
    this.#tally.observe(this.stack.simulator.state.faults);
    const submission = this.#submit();
    const crashes = this.#crash();
    const faults = this.#apiFaults();
    const watcher = new StatusWatcher(
      statusTableClient(this.#app.connectionString),
      this.workload,
      this.#submitted,
    );
    await this.#waitForEnd(watcher);
    this.#faultsOn = false;
    await Promise.all([submission, crashes, faults]);
    return this.#judge(watcher);
  }

  #since(at: number | undefined): string {
    return at === undefined ? "-" : `${((at - this.started) / 1000).toFixed(1)} s`;
  }

  #stopped(): boolean {
    return Date.now() >= this.#deadline || (this.options.signal?.aborted ?? false);
  }

  async #submit(): Promise<void> {
    try {
      const result = await submitWorkload(this.workload, this.#app, this.#deadline, {
        onQueueSent: () => {
          this.#queueSent = true;
        },
        log: this.log,
      });
      Object.assign(this.#submitted, result);
      this.#marks.submitted = Date.now();
      this.log(
        `submitted ${this.workload.requests.length} changes (+ ${result.duplicateJobs} duplicate jobs) by ${this.#since(Date.now())}`,
      );
    } catch (error) {
      this.#submissionError = error as Error;
      this.log(`submission failed: ${(error as Error).message}`);
    } finally {
      this.#submissionDone = true;
    }
  }

  /** Kills and the azurite restart, at seeded shares of the work left once the queue intake drained. */
  async #crash(): Promise<void> {
    const random = mulberry32(this.options.seed ^ STREAM.crashes);
    const plan = [
      ...Array.from({ length: this.options.kills }, () => ({ kind: "kill", share: 0.05 + 0.65 * random() })),
      { kind: "azurite", share: 0.05 + 0.65 * random() },
    ].sort((a, b) => a.share - b.share);
    try {
      while (!(await this.#intakeDrained())) {
        if (this.#stopped()) return;
        await delay(500);
      }
      this.#marks.intakeDrained = Date.now();
      const total = this.workload.requests.length;
      const base = this.#progress.terminal;
      this.log(`queue intake drained at ${this.#since(this.#marks.intakeDrained)}, ${base} terminal`);
      let previous = Date.now();
      for (const event of plan) {
        const target = base + event.share * (total - base);
        while (this.#progress.terminal < target && Date.now() - previous < 30_000) {
          if (this.#stopped()) return;
          await delay(200);
        }
        if (event.kind === "kill") {
          const kill = await this.stack.killAndReplace(Math.floor(random() * this.stack.urls().length));
          this.#kills.push(kill.at);
          this.log(
            `kill ${this.#kills.length} at ${this.#since(kill.at)}, ${this.#progress.terminal} terminal`,
          );
        } else {
          this.#marks.azuriteDown = Date.now();
          this.log(`azurite down for ${AZURITE_DOWN_MS} ms, ${this.#progress.terminal} terminal`);
          await this.stack.restartAzurite(AZURITE_DOWN_MS);
          this.#marks.azuriteUp = Date.now();
          this.log(`azurite back at ${this.#since(this.#marks.azuriteUp)}`);
        }
        previous = Date.now();
      }
    } catch (error) {
      this.log(`kill/restart failed: ${(error as Error).message}`);
    } finally {
      this.#marks.crashesDone = Date.now();
      this.#crashesDone = true;
    }
  }

  async #intakeDrained(): Promise<boolean> {
    if (!this.#queueSent) return false;
    try {
      return (await approximateCount(this.#app.connectionString, REQUESTS_QUEUE)) === 0;
    } catch {
      return false;
    }
  }

  /** A fresh owners-API fault phase every PHASE_MS until the faults are switched off. */
  async #apiFaults(): Promise<void> {
    const random = mulberry32(this.options.seed ^ STREAM.phases);
    const { state } = this.stack.simulator;
    while (this.#faultsOn && !this.#stopped()) {
      state.setFaults(faultPhase(random, this.options.clientTimeoutMs).config);
      await delay(PHASE_MS);
    }
    state.clearFaults();
  }

  /** Polls until every request is terminal (or the deadline), deciding held removals on the way. */
  async #waitForEnd(watcher: StatusWatcher): Promise<void> {
    const total = this.workload.requests.length;
    const decided = new Set<number>();
    let lastReport = 0;
    while (Date.now() < this.#deadline) {
      this.options.signal?.throwIfAborted();
      try {
        this.#progress = await watcher.poll();
      } catch (error) {
        // Storage is down for its restart, or busy: look again next time.
        if (Date.now() - lastReport > 5_000)
          this.log(`status poll failed: ${(error as Error).message.split("\n")[0]}`);
      }
      for (const { index, id } of this.#progress.held) {
        if (decided.has(index) || this.workload.requests[index]?.category !== "mass-remove") continue;
        // Seeded per request: the same removal gets the same decision whenever it happens to be held.
        const decision =
          this.#decisions.get(index) ??
          (mulberry32(this.options.seed * 7919 + index)() < 0.5 ? "approve" : "reject");
        this.#decisions.set(index, decision);
        const until = Math.min(this.#deadline, Date.now() + 30_000);
        if (await decide(this.#app, id, decision === "approve", until).catch(() => false)) decided.add(index);
      }
      const crashesOver = this.#submissionDone && this.#crashesDone;
      if (
        this.#faultsOn &&
        crashesOver &&
        (this.#progress.terminal >= 0.8 * total || Date.now() - (this.#marks.crashesDone ?? 0) >= 20_000)
      ) {
        this.#faultsOn = false;
        this.#marks.faultsStopped = Date.now();
        this.log(`owner-API faults off, ${this.#progress.terminal} terminal`);
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        this.log(`${this.#progress.terminal}/${total} terminal, ${this.#progress.held.length} held`);
      }
      if (crashesOver && this.#progress.terminal === total) break;
      await delay(POLL_MS, undefined, { signal: this.options.signal });
    }
    this.#marks.waitEnded = Date.now();
    this.log(
      `waited until ${this.#since(this.#marks.waitEnded)}: ${this.#progress.terminal}/${total} terminal; reading the end state`,
    );
  }

  async #judge(watcher: StatusWatcher): Promise<ChaosResult> {
    const { workload } = this;
    const docs = await watcher.documents();
    const simulatorEnd = readSimulator(this.stack.simulator, workload);
    const verdict = checkRun(workload, {
      ...docs,
      replayMismatches: this.#submitted.replayMismatches,
      ...simulatorEnd,
      ...(await readPoison(this.#app.connectionString)),
      decisions: this.#decisions,
    });
    if (this.#submissionError)
      verdict.problems.unshift(`submission failed: ${this.#submissionError.message}`);
    if (this.options.keepLogs !== undefined) {
      // Beside the runners' output: every request with its documents, and every write, to trace a problem.
      await mkdir(this.options.keepLogs, { recursive: true });
      const lines = (items: unknown[]) => items.map((item) => JSON.stringify(item)).join("\n");
      await writeFile(
        join(this.options.keepLogs, "requests.jsonl"),
        lines(workload.requests.map((request) => ({ request, docs: docs.docsByRequest[request.index] }))),
      );
      await writeFile(join(this.options.keepLogs, "writes.jsonl"), lines([...simulatorEnd.writes]));
    }

    // The longest any change took to become terminal after the last fault of any kind.
    const lastFaultAt = Math.max(this.#tally.lastAt ?? 0, ...this.#kills, this.#marks.azuriteDown ?? 0);
    const firsts = docs.docsByRequest
      .map((list) => list[0])
      .filter((doc): doc is ObservedDoc => doc !== undefined);
    const terminalTimes = firsts
      .filter((doc) => ["succeeded", "failed", "rejected"].includes(doc.status))
      .map((doc) => Date.parse(doc.updatedAt));
    const recoveryIsLowerBound = terminalTimes.length < workload.requests.length;
    const lastTerminalAt = recoveryIsLowerBound
      ? (this.#marks.waitEnded as number)
      : Math.max(0, ...terminalTimes);
    const decisions = [...this.#decisions.values()];
    const summary: ChaosSummary = {
      changes: workload.requests.length,
      kills: this.#kills.length,
      lost: verdict.lost,
      doubleEffects: verdict.doubleEffects,
      wrongFinalState: verdict.wrongFinalState,
      nonTerminal: verdict.nonTerminal,
      recoverySeconds: Math.round(Math.max(0, lastTerminalAt - lastFaultAt) / 100) / 10,
      faults: {
        ...Object.fromEntries(FAULT_KINDS.map((kind) => [kind, this.#tally.counts[kind]])),
        kill: this.#kills.length,
        "azurite-restart": this.#marks.azuriteDown === undefined ? 0 : 1,
      },
      seconds: Math.round((Date.now() - this.started) / 1000),
    };
    const timeline: [string, string][] = [
      ["submission done", this.#since(this.#marks.submitted)],
      ["queue intake drained", this.#since(this.#marks.intakeDrained)],
      ["kills", this.#kills.map((at) => this.#since(at)).join(", ") || "-"],
      [
        "azurite down / back",
        `${this.#since(this.#marks.azuriteDown)} / ${this.#since(this.#marks.azuriteUp)}`,
      ],
      ["owners-API faults off", this.#since(this.#marks.faultsStopped)],
      ["last fault of any kind", this.#since(lastFaultAt || undefined)],
      ["last change terminal", recoveryIsLowerBound ? "(not all terminal)" : this.#since(lastTerminalAt)],
      [
        "re-driven by crash recovery",
        `${firsts.filter((doc) => (doc.recoveries ?? 0) > 0).length} change(s)`,
      ],
      [
        "held removals decided",
        `${decisions.filter((d) => d === "approve").length} approved, ${decisions.filter((d) => d === "reject").length} rejected`,
      ],
    ];
    return { summary, verdict, timeline, recoveryIsLowerBound };
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
