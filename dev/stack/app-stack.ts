import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "./azurite.ts";
import { appEnv } from "./credentials.ts";
import { type RunningRunner, startRunner } from "./runner.ts";

export interface AppStack {
  azurite: AzuriteInstance;
  simulator: RunningSimulator;
  runner: RunningRunner;
  stop(): Promise<void>;
}

/**
 * The whole app across real process boundaries: azurite and the runner as child processes, the
 * simulator in-process on a free port. `env` adds or overrides settings; `hostJson` swaps host.json;
 * `simulator` configures the simulator (e.g. its clients, to match another ITWIN_CLIENT_SECRET).
 */
export async function startAppStack(
  options: {
    env?: Record<string, string>;
    hostJson?: string;
    simulator?: Omit<SimulatorOptions, "port">;
  } = {},
): Promise<AppStack> {
  const azurite = await startAzurite();
  const simulator = await startSimulator({ ...options.simulator, port: 0 });
  try {
    const runner = await startRunner({
      entry: "src/index.ts",
      ...(options.hostJson === undefined ? {} : { hostJson: options.hostJson }),
      env: { ...appEnv(azurite, simulator), ...options.env },
    });
    return {
      azurite,
      simulator,
      runner,
      async stop() {
        await runner.stop();
        await simulator.close();
        await azurite.close();
      },
    };
  } catch (error) {
    await simulator.close();
    await azurite.close();
    throw error;
  }
}
