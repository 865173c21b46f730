/**
 * The chaos run's stack on 127.0.0.1: azurite as a child process with its data on disk (so it can be
 * restarted with the data kept), the iTwin API simulator in this process, and runner child processes
 * serving the real app, which the run kills with SIGKILL and replaces.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { appEnv } from "../../dev/stack/credentials.ts";
import { type RunningRunner, startRunner } from "../../dev/stack/runner.ts";
import type { Workload } from "./workload.ts";

export interface StackOptions {
  runners: number;
  /** App settings on top of the storage and simulator ones. */
  env: Record<string, string>;
  log: (line: string) => void;
  /** Write every runner's output here when the stack stops (for diagnosis); default: discard. */
  keepLogs?: string;
}

export class ChaosStack {
  readonly #runners: RunningRunner[] = [];
  readonly #stopped: RunningRunner[] = [];
  #closed = false;

  private constructor(
    readonly azurite: AzuriteInstance,
    readonly simulator: RunningSimulator,
    private readonly dataDir: string,
    private readonly options: StackOptions,
  ) {}

  static async start(options: StackOptions): Promise<ChaosStack> {
    const dataDir = await mkdtemp(join(tmpdir(), "chaos-azurite-"));
    let azurite: AzuriteInstance | undefined;
    let simulator: RunningSimulator | undefined;
    try {
      [azurite, simulator] = await Promise.all([
        startAzurite({ location: dataDir, timeoutMs: 60_000 }),
        startSimulator({ port: 0, seed: false }),
      ]);
      const stack = new ChaosStack(azurite, simulator, dataDir, options);
      try {
        await Promise.all(Array.from({ length: options.runners }, () => stack.#startRunner()));
      } catch (error) {
        await stack.stop();
        throw error;
      }
      return stack;
    } catch (error) {
      if (!simulator || !azurite) {
        await simulator?.close();
        await azurite?.close();
        await rm(dataDir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  /** Adds the workload's iTwins with their starting owners to the simulator. */
  seed(workload: Workload): void {
    for (const itwin of workload.itwins) {
      this.simulator.state.addItwin({ id: itwin.id, owners: itwin.owners.map((email) => ({ email })) });
    }
  }

  /** Base URLs of the runners alive now. */
  urls(): string[] {
    return this.#runners.map((runner) => runner.url);
  }

  /** Pids of the runners alive now. */
  pids(): number[] {
    return this.#runners.map((runner) => runner.pid);
  }

  /** SIGKILLs the runner at `index` (of those alive), then starts one in its place. */
  async killAndReplace(index: number): Promise<{ pid: number; at: number }> {
    const victim = this.#runners[index % this.#runners.length] as RunningRunner;
    this.#runners.splice(this.#runners.indexOf(victim), 1);
    const at = Date.now();
    await victim.stop("SIGKILL");
    this.#stopped.push(victim);
    this.options.log(`killed runner pid ${victim.pid} (SIGKILL); starting a replacement`);
    const replacement = await this.#startRunner();
    this.options.log(`runner pid ${replacement.pid} ready on ${replacement.url}`);
    return { pid: victim.pid, at };
  }

  /** Stops azurite (its data kept on disk) for `downMs`, then starts it again on the same ports. */
  async restartAzurite(downMs: number): Promise<void> {
    await this.azurite.restart({ downMs });
  }

  /** Stops every runner, the simulator and azurite, and removes azurite's data folder. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const running = this.#runners.splice(0);
    await Promise.all(running.map((runner) => runner.stop("SIGTERM", 15_000)));
    this.#stopped.push(...running);
    if (this.options.keepLogs !== undefined) {
      await mkdir(this.options.keepLogs, { recursive: true });
      for (const runner of this.#stopped) {
        await writeFile(join(this.options.keepLogs, `runner-${runner.pid}.log`), runner.logs());
      }
    }
    await this.simulator.close();
    await this.azurite.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async #startRunner(): Promise<RunningRunner> {
    const runner = await startRunner({
      entry: "src/index.ts",
      env: { ...appEnv(this.azurite, this.simulator), ...this.options.env },
      timeoutMs: 90_000,
    });
    if (this.#closed) {
      await runner.stop("SIGKILL");
      throw new Error("the stack was stopped while a runner started");
    }
    this.#runners.push(runner);
    return runner;
  }
}
