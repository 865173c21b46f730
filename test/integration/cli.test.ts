import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { runCli } from "../../ops/cli/program.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { runTestCli, testIo } from "../support/cli-io.ts";

/**
 * The owner-changes CLI against the real stack (azurite, simulator, runner): in-process through
 * runCli for speed, and once as the real launcher in a child process. The mass-removal threshold is 2,
 * so a third removal from one iTwin is held for approval.
 */

let stack: AppStack;
beforeAll(async () => {
  stack = await startAppStack({ env: { POLICY_MASS_REMOVAL_THRESHOLD: "2" } });
});
afterAll(async () => {
  await stack?.stop();
});

function cli(argv: string[], files: Record<string, string> = {}) {
  return runTestCli(["--url", stack.runner.url, ...argv], { files });
}

function csv(rows: [string, string, "add" | "remove"][]): string {
  return `itwinId,email,action,reason\n${rows.map(([itwin, email, action]) => `${itwin},${email},${action},"cli test, ${action}"`).join("\n")}\n`;
}

describe("owner-changes against the running app", () => {
  it("submits a file until every line is done, sums it up, and a re-run sends no duplicates", async () => {
    const { simulator } = stack;
    const leavers = ["lee", "max"].map((name) => `${name}@corp.example`);
    const team = simulator.state.addItwin({
      name: "cli team",
      owners: leavers.map((email) => ({ email })),
    }).id;
    const other = simulator.state.addItwin({ name: "cli other", owners: [] }).id;
    const rows: [string, string, "add" | "remove"][] = [
      ...Array.from(
        { length: 14 },
        (_, i) => [team, `new${i}@corp.example`, "add"] as [string, string, "add"],
      ),
      ...Array.from(
        { length: 13 },
        (_, i) => [other, `guest${i}@partner.example`, "add"] as [string, string, "add"],
      ),
      [team, leavers[0] as string, "remove"],
      [team, leavers[1] as string, "remove"],
      [team, "nobody@corp.example", "remove"],
    ];
    const files = { "team.csv": csv(rows) };
    const writesBefore = simulator.state.appliedWrites().length;

    const first = await cli(
      ["submit", "--file", "team.csv", "--source", "cli-it", "--interval", "1", "--timeout", "60"],
      files,
    );
    expect(first.stderr).toMatch(
      /applying .* 30\/30 · 30 succeeded · 0 failed · 0 rejected · 0 held · 0 pending/,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/succeeded\s+30\s+added 14, invited 13, removed 2, not-owner 1\n/);
    expect(first.stdout).toContain("30 change(s), 30 accepted, in");
    const owners = (itwin: string) => simulator.state.owners(itwin).map((member) => member.email);
    expect(owners(team)).toEqual(expect.arrayContaining(["new0@corp.example", "new13@corp.example"]));
    expect(owners(team)).not.toContain("lee@corp.example");
    const writes = simulator.state.appliedWrites().length;
    expect(writes - writesBefore).toBe(29);

    const again = await cli(["submit", "--file", "team.csv", "--source", "cli-it", "--json"], files);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as {
      counts: Record<string, number>;
      items: { replayed?: boolean; id: string }[];
    };
    expect(report.counts).toEqual({ succeeded: 30 });
    expect(report.items.every((item) => item.replayed)).toBe(true);
    expect(simulator.state.appliedWrites().length).toBe(writes);

    const listed = await cli(["list", "--source", "cli-it", "--all", "--limit", "7", "--json"]);
    expect(listed.code).toBe(0);
    const { items } = JSON.parse(listed.stdout) as { items: { id: string; status: string }[] };
    expect(items.map((item) => item.id).sort()).toEqual(report.items.map((item) => item.id).sort());
    expect(new Set(items.map((item) => item.status))).toEqual(new Set(["succeeded"]));

    const table = await cli(["list", "--source", "cli-it", "--action", "remove"]);
    expect(table.stdout).toMatch(/^CREATED\s+ID\s+STATUS\s+ACTION\s+EMAIL\s+ITWIN\n/);
    expect(table.stdout).toContain("succeeded/not-owner  remove  nobody@corp.example");
    expect(table.stdout).toMatch(/\n3 change\(s\)\n$/);
  });

  it("ends a run with a held removal as exit 3, lists it as held, and approve releases it", async () => {
    const { simulator } = stack;
    const names = ["ann", "ben", "cid", "dot"];
    const itwin = simulator.state.addItwin({
      name: "cli reorg",
      owners: names.map((n) => ({ email: `${n}@corp.example` })),
    }).id;
    const files = { "reorg.csv": csv(names.slice(0, 3).map((n) => [itwin, `${n}@corp.example`, "remove"])) };
    const run = await cli(
      ["submit", "--file", "reorg.csv", "--source", "cli-held", "--batch", "1", "--json"],
      files,
    );
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as {
      counts: Record<string, number>;
      items: { id: string; status: string; line: number }[];
    };
    expect(report.counts).toEqual({ succeeded: 2, held: 1 });
    const heldItem = report.items.find((item) => item.status === "held");
    const held = heldItem?.id as string;
    // Which of the three is held depends on the order the worker took them in; line 2 is ann.
    const heldName = names[(heldItem?.line ?? 0) - 2];

    const listed = await cli(["list", "--status", "held", "--itwin", itwin]);
    expect(listed.stdout).toContain(held);
    expect(listed.stdout).toMatch(/\n1 change\(s\)\n$/);

    const notHeld = await cli([
      "approve",
      report.items.find((item) => item.status !== "held")?.id as string,
      "--by",
      "it@corp.example",
    ]);
    expect(notHeld).toMatchObject({ code: 1, stderr: expect.stringContaining("409") });
    const approved = await cli([
      "approve",
      held,
      "--by",
      "it-lead@corp.example",
      "--reason",
      "planned reorg",
    ]);
    expect(approved).toMatchObject({
      code: 0,
      stdout: `approved ${held}: now queued (remove ${heldName}@corp.example on ${itwin})\n`,
    });
    const done = await waitFor(
      async () => {
        const status = await cli(["status", held, "--json"]);
        const doc = JSON.parse(status.stdout) as StatusDocument;
        return doc.status === "succeeded" ? doc : undefined;
      },
      "approved removal applied",
      20_000,
      200,
    );
    expect(done).toMatchObject({ outcome: "removed", approvedBy: "it-lead@corp.example" });
    const shown = await cli(["status", held]);
    expect(shown.stdout).toMatch(/^id\s+k-/);
    expect(shown.stdout).toMatch(/\napproved by\s+it-lead@corp.example\n/);
    expect(shown.stdout).toContain("approved by it-lead@corp.example: planned reorg");
  });

  it("watches a filter live, prints a single submitted change as it moves on, and stops on Ctrl-C with 0", async () => {
    const itwin = stack.simulator.state.addItwin({ name: "cli watch", owners: [] }).id;
    const watcher = testIo();
    const argv = ["--url", stack.runner.url, "watch", "--itwin", itwin, "--interval", "1", "--timeout", "60"];
    const watching = runCli(argv, watcher.io);
    await waitFor(
      () => watcher.stderr.text().includes("watching: 0 change(s) match now"),
      "watch started",
      15_000,
      50,
    );

    const submitted = await cli([
      "submit",
      "--itwin",
      itwin,
      "--email",
      "wes@corp.example",
      "--action",
      "add",
    ]);
    expect(submitted.code).toBe(0);
    const id = /^(k-\S+)\s+succeeded\/added\s+add wes@corp.example on /m.exec(
      submitted.stdout,
    )?.[1] as string;
    expect(id).toBeDefined();

    await waitFor(
      () =>
        new RegExp(`^(new|changed)\\s+\\S+\\s+${id}\\s+succeeded/added\\s+add\\s+wes@corp.example`, "m").test(
          watcher.stdout.text(),
        ),
      "watch printed the change succeeded",
      15_000,
      100,
    );
    expect(watcher.interrupt()).toBe(true);
    expect(await watching).toBe(0);
  });

  it("runs as the real launcher in a child process", async () => {
    const run = promisify(execFile);
    const bin = `${REPO_ROOT}/bin/owner-changes.mjs`;
    const help = await run(process.execPath, [bin, "--help"], { cwd: REPO_ROOT, timeout: 30_000 });
    expect(help.stdout).toContain("Usage: owner-changes [options] [command]");
    const env = { PATH: process.env.PATH, OWNER_CHANGES_URL: stack.runner.url };
    const missing = run(process.execPath, [bin, "status", "k-doesnotexist1"], {
      cwd: REPO_ROOT,
      env,
      timeout: 30_000,
    });
    await expect(missing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("404") });
  });
});
