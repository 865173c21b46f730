/**
 * bulkIntakeRatio and bulkIntakeVsCeiling: how fast the intake accepts a backlog, against storage's own
 * pace for the same durable work, and against the owners API's ceiling it feeds.
 *
 * One runner serving the HTTP functions only (lib/intake-stack.ts). A fixed amount of work: timed
 * blocks of 800 changes in ABBA order (intake, direct, direct, intake, …; 12 blocks, quick 8), after
 * one untimed warm-up of 400 per side:
 *
 * - intake: 4 concurrent clients POST `{ changes: [100] }` batches (each client one batch at a time);
 * - direct: 4 concurrent clients each take a batch of 100 and write its insert + send pairs against the
 *   same azurite with the app's storage clients, 10 pairs at a time — the single writes per batch the
 *   intake keeps in flight (BATCH_WRITES_IN_FLIGHT in status-store.ts) — one batch at a time.
 *
 * changes/s = changes ÷ seconds over a side's blocks; ratio = intake ÷ direct; vsCeiling = intake ÷ the
 * ceiling the simulator announces (`--ceiling`, requests per second).
 */
import { abbaOrder, type Block, compareBulk, type Side } from "../lib/intake-maths.ts";
import { type CpuSnapshot, cpuMeter, directStorage, startIntakeRunner } from "../lib/intake-stack.ts";
import { progress } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { isolatedStack, ORG_DOMAIN, SERVICE_OWNER } from "../lib/stack.ts";
import { type Change, submitBatches } from "../lib/submit.ts";
import { runPool } from "../lib/util.ts";

const CLIENTS = 4;
const BATCH = 100;
/** Pairs one direct client has in flight within its batch. */
const DIRECT_IN_BATCH = 10;
/**
 * Short blocks, many of them: on a shared machine the load swings within seconds, and ABBA only
 * cancels what changes slowly against the blocks' length.
 */
const BLOCKS = { quick: 8, full: 12 };

export async function bulkIntakeScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const s = await isolatedStack(args.ceiling);
  // 4 clients × 2 batches × 100 = 800 changes a block; full: 6 blocks a side = 4 800 changes each.
  const perBlock = CLIENTS * 2 * BATCH;
  const blockCount = args.quick ? BLOCKS.quick : BLOCKS.full;
  const { id: itwinId } = s.simulator.state.addItwin({
    name: "bench bulk intake",
    owners: [{ email: SERVICE_OWNER }],
  });
  const direct = await directStorage(s, "bulkintakedirect");
  const group = await startIntakeRunner(s, "bulkintake");
  let next = 0;
  const changes = (count: number): Change[] =>
    Array.from({ length: count }, () => ({
      itwinId,
      email: `bulk-${next++}@${ORG_DOMAIN}`,
      action: "add" as const,
      dryRun: true,
    }));
  const run: Record<Side, (count: number) => Promise<void>> = {
    intake: async (count) => {
      await submitBatches(group.front.url, changes(count), { batchSize: BATCH, concurrency: CLIENTS });
    },
    direct: async (count) => {
      const all = changes(count);
      const batches = Array.from({ length: count / BATCH }, (_, i) => all.slice(i * BATCH, (i + 1) * BATCH));
      await runPool(batches, CLIENTS, (batch) =>
        runPool(batch, DIRECT_IN_BATCH, (change) => direct.pair(change)),
      );
    },
  };
  try {
    progress(`bulkIntake: warm-up ${CLIENTS * BATCH} changes each way`);
    await run.intake(CLIENTS * BATCH);
    await run.direct(CLIENTS * BATCH);
    const blocks: Block[] = [];
    const cpu = cpuMeter({ azurite: s.azurite.process.pid, runner: group.front.pid });
    const cpuUsed: Record<Side, CpuSnapshot> = { intake: {}, direct: {} };
    for (const side of abbaOrder(blockCount)) {
      const before = cpu?.();
      const started = performance.now();
      await run[side](perBlock);
      const ms = performance.now() - started;
      const after = cpu?.();
      for (const [name, used] of Object.entries(after ?? {})) {
        cpuUsed[side][name] = (cpuUsed[side][name] ?? 0) + used - (before?.[name] ?? 0);
      }
      blocks.push({ side, changes: perBlock, ms });
      progress(`bulkIntake: ${side} ${perBlock} changes in ${Math.round(ms)} ms`);
    }
    const result = compareBulk(blocks, args.ceiling.rps);
    const perSide = (side: Side) =>
      blocks
        .filter((block) => block.side === side)
        .map((block) => `${Math.round((block.changes * 1000) / block.ms)}/s`)
        .join(", ");
    return {
      metrics: {
        bulkIntakeRatio: result.ratio,
        bulkIntakeVsCeiling: result.vsCeiling,
        bulkIntakePerSecond: result.intakePerSecond,
        bulkDirectPerSecond: result.directPerSecond,
      },
      details: [
        {
          label: "intake (POST batches of 100)",
          value: `${result.intakePerSecond} changes/s over ${(blockCount / 2) * perBlock} changes (blocks: ${perSide("intake")})`,
        },
        {
          label: "direct insert + send",
          value: `${result.directPerSecond} pairs/s over ${(blockCount / 2) * perBlock} pairs (blocks: ${perSide("direct")})`,
        },
        {
          label: "CPU per change (µs)",
          value:
            cpu === undefined
              ? "n/a (no /proc)"
              : (["intake", "direct"] as const)
                  .map(
                    (side) =>
                      `${side}: ${Object.entries(cpuUsed[side])
                        .map(
                          ([name, ms]) =>
                            `${name} ${Math.round((ms * 1000) / ((blockCount / 2) * perBlock))}`,
                        )
                        .join(", ")}`,
                  )
                  .join("; "),
        },
        {
          label: "conditions",
          value: `${CLIENTS} clients, one batch of ${BATCH} each at a time (direct: ${DIRECT_IN_BATCH} pairs in flight per batch); ABBA blocks after a warm-up; ceiling ${args.ceiling.rps}/s`,
        },
      ],
    };
  } finally {
    await group.stop();
    await s.close();
  }
}
