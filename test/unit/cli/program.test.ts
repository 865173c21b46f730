import { describe, expect, it } from "vitest";
import { resumeCommand } from "../../../ops/cli/commands/submit.ts";
import { runCli } from "../../../ops/cli/program.ts";
import { runTestCli, testIo } from "../../support/cli-io.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

/**
 * The owner-changes API in memory, answering the CLI's fetch: a batch submit keyed like the service
 * (the same key is the same request), and statuses that move on one step per read. An email's local
 * part picks the end: fail… fails, held… is held, anything else succeeds.
 */
function fakeService(options: { stuck?: boolean; onSubmit?: (batch: number) => void } = {}) {
  const docs = new Map<
    string,
    { id: string; status: string; outcome?: string; email: string; reads: number }
  >();
  const batches: number[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    if (request.method === "POST" && url.pathname === "/api/owner-changes") {
      const { changes } = (await request.json()) as {
        changes: { id: string; source?: string; email: string }[];
      };
      batches.push(changes.length);
      options.onSubmit?.(batches.length);
      return json(202, {
        items: changes.map((change, index) => {
          const id = `k-${Buffer.from(`${change.source}|${change.id}`).toString("base64url")}`;
          const known = docs.get(id);
          if (known === undefined) docs.set(id, { id, status: "queued", email: change.email, reads: 0 });
          return {
            index,
            id,
            status: known?.status ?? "queued",
            statusUrl: `x/${id}`,
            ...(known ? { replayed: true } : {}),
          };
        }),
      });
    }
    const doc = docs.get(decodeURIComponent(url.pathname.replace("/api/owner-changes/", "")));
    if (request.method === "GET" && doc !== undefined) {
      doc.reads += 1;
      if (!options.stuck && doc.reads >= 2 && ["queued", "processing"].includes(doc.status)) {
        const who = doc.email.split("@")[0] ?? "";
        if (who.startsWith("fail")) doc.status = "failed";
        else if (who.startsWith("held")) doc.status = "held";
        else Object.assign(doc, { status: "succeeded", outcome: "added" });
      } else if (!options.stuck && doc.status === "queued") doc.status = "processing";
      return json(200, { ...doc, itwinId: ITWIN, action: "add", history: [] });
    }
    return json(404, {
      type: "urn:itwin-owner-automation:problem:not-found",
      status: 404,
      detail: "no such thing",
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, docs, batches };
}

function csv(emails: string[]): string {
  return `itwinId,email,action\n${emails.map((email) => `${ITWIN},${email},add`).join("\n")}\n`;
}

const people = (n: number, prefix = "p") => Array.from({ length: n }, (_, i) => `${prefix}${i}@corp.example`);

describe("owner-changes command line", () => {
  it("prints help with examples and the exit codes, exit 0, for the program and every command", async () => {
    const root = await runTestCli(["--help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain("Exit codes:");
    expect(root.stdout).toContain("OWNER_CHANGES_URL");
    expect(await runTestCli(["--version"])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/),
    });
    for (const command of [
      ["submit"],
      ["plan"],
      ["status"],
      ["list"],
      ["watch"],
      ["approve"],
      ["reject"],
      ["poison"],
      ["poison", "list"],
      ["poison", "replay"],
    ]) {
      const help = await runTestCli([...command, "--help"]);
      expect(help, command.join(" ")).toMatchObject({
        code: 0,
        stdout: expect.stringContaining("Examples:\n  $ owner-changes"),
      });
      expect(help.stdout).toContain("130  interrupted");
    }
  });

  it("answers bad usage with exit 2 and says what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [[], /Usage: owner-changes/],
      [["submit", "--batch", "0"], /must be a whole number from 1 to 100/],
      [["submit"], /give --file <path>, or one change/],
      [["submit", "--file", "x.csv", "--email", "a@corp.example"], /--file cannot be combined with --email/],
      [
        ["submit", "--itwin", "nope", "--email", "a@corp.example", "--action", "add"],
        /--itwin must be an iTwin id/,
      ],
      [["submit", "--action", "grant"], /Allowed choices are add, remove/],
      [["list", "--status", "done"], /must be among queued/],
      [["list", "--since", "yesterday"], /ISO-8601 instant/],
      [["approve", "k-12345678"], /required option '--by <who>'/],
      [["poison", "replay", "--queue", "jobs"], /replay needs --id/],
      [["poison", "replay", "--queue", "other", "--all"], /Allowed choices are requests, jobs/],
      [["plan", "--file", "changes.txt"], /cannot tell the format of changes.txt/],
      [["list", "--profile", "prod"], /no profile "prod"/],
    ];
    for (const [argv, message] of cases) {
      const run = await runTestCli(argv);
      expect(run, argv.join(" ")).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
    }
  });

  it("lists every bad line of a file with its number and sends nothing", async () => {
    const service = fakeService();
    const file = `${csv(["a@corp.example"])}${ITWIN},bad,add\nnot-a-uuid,b@corp.example,add\n`;
    const run = await runTestCli(["submit", "--file", "c.csv"], {
      files: { "c.csv": file },
      fetch: service.fetch,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "c.csv:3: email: must be an email address\nc.csv:4: itwinId: must be an iTwin id (a UUID)\n",
    );
    expect(run.stderr).toContain("2 problem(s) in c.csv; nothing was sent");
    expect(service.batches).toEqual([]);
  });

  it("sends a file in batches, follows every change to its end and sums them up; a re-run creates nothing new", async () => {
    const service = fakeService();
    const clock = new FakeClock();
    const files = { "c.csv": csv([...people(148), "fail1@corp.example", "held1@corp.example"]) };
    const first = await runTestCli(["submit", "--file", "c.csv"], { files, fetch: service.fetch, clock });
    expect(service.batches).toEqual([100, 50]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/succeeded\s+148\s+added 148/);
    expect(first.stdout).toMatch(/failed\s+1\n/);
    expect(first.stdout).toMatch(/held\s+1\n/);
    expect(first.stdout).toMatch(/150 change\(s\), 150 accepted, in/);
    expect(first.stdout).toMatch(/\n\s*150\s+k-\S+\s+failed\s+add fail1@corp.example/);
    expect(first.stdout).toMatch(/\n\s*151\s+k-\S+\s+held/);
    expect(first.stderr).toMatch(
      /applying .* 150\/150 · 148 succeeded · 1 failed · 0 rejected · 1 held · 0 pending/,
    );
    expect(clock.sleeps.every((ms) => ms === 1000)).toBe(true);

    const again = await runTestCli(["submit", "--file", "c.csv", "--json"], {
      files,
      fetch: service.fetch,
      clock,
    });
    expect(service.docs.size).toBe(150);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({
      changes: 150,
      accepted: 150,
      exitCode: 1,
      counts: { succeeded: 148, failed: 1, held: 1 },
    });
    expect(report.items.filter((item: { replayed?: boolean }) => item.replayed)).toHaveLength(150);
    // Already finished when the re-run submits them, they are still read once for their outcome.
    expect(report.items.filter((item: { outcome?: string }) => item.outcome === "added")).toHaveLength(148);
    expect(again.code).toBe(1);
  });

  it("ends with exit 3 when nothing failed but a change is held, and 0 when all succeeded", async () => {
    const files = {
      "held.csv": csv(["a@corp.example", "held2@corp.example"]),
      "ok.csv": csv(["b@corp.example"]),
    };
    const clock = new FakeClock();
    expect(
      (await runTestCli(["submit", "--file", "held.csv"], { files, fetch: fakeService().fetch, clock })).code,
    ).toBe(3);
    expect(
      (await runTestCli(["submit", "--file", "ok.csv"], { files, fetch: fakeService().fetch, clock })).code,
    ).toBe(0);
  });

  it("stops cleanly on Ctrl-C between batches, says how to resume, and the resumed run sends only what is missing", async () => {
    const files = { "c.csv": csv(people(250)) };
    const clock = new FakeClock();
    let interrupt = () => false;
    const service = fakeService({ onSubmit: (batch) => batch === 2 && interrupt() });
    const test = testIo({ files, fetch: service.fetch, clock });
    interrupt = test.interrupt;
    const code = await runCli(["submit", "--file", "c.csv"], test.io);
    expect(code).toBe(130);
    expect(service.batches).toEqual([100, 100]);
    expect(test.stderr.text()).toContain(
      "interrupted: 200 of 250 accepted. To resume, run again (nothing is sent twice):\n  owner-changes submit --file c.csv",
    );
    const resumed = await runTestCli(["submit", "--file", "c.csv"], { files, fetch: service.fetch, clock });
    expect(resumed.code).toBe(0);
    expect(service.docs.size).toBe(250);
    expect(resumed.stdout).toContain("250 change(s), 250 accepted (200 already known from an earlier run)");
  });

  it("gives up waiting at --timeout with exit 5, naming the way to go on", async () => {
    const clock = new FakeClock();
    const run = await runTestCli(["submit", "--file", "c.csv", "--timeout", "5", "--interval", "2"], {
      files: { "c.csv": csv(people(3)) },
      fetch: fakeService({ stuck: true }).fetch,
      clock,
    });
    expect(run.code).toBe(5);
    expect(clock.sleeps).toEqual([2000, 2000, 1000]);
    expect(run.stdout).toMatch(/queued\s+3/);
    expect(run.stderr).toContain("--timeout passed with changes still pending");
  });

  it("follows a single change by id after --timeout, and never repeats a key in a hint", async () => {
    const clock = new FakeClock();
    const single = await runTestCli(
      [
        "--key",
        "s3cret",
        "submit",
        "--itwin",
        ITWIN,
        "--email",
        "a@corp.example",
        "--action",
        "add",
        "--timeout",
        "2",
      ],
      { fetch: fakeService({ stuck: true }).fetch, clock },
    );
    expect(single.code).toBe(5);
    expect(single.stderr).toMatch(
      /--timeout passed with changes still pending\. Follow it with: owner-changes status k-\S+\n$/,
    );
    expect(resumeCommand(["--key", "s3cret", "submit", "--file", "a b.csv", "--key=s3cret"])).toBe(
      "owner-changes --key '<key>' submit --file 'a b.csv' '--key=<key>'",
    );
  });

  it("maps the service's answers to exit codes: 404 is 1, no answer is 4, a fault of its own 70", async () => {
    const missing = await runTestCli(["status", "k-missing123"], { fetch: fakeService().fetch });
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("status of k-missing123: 404 no such thing"),
    });
    const down = await runTestCli([
      "status",
      "k-12345678",
      "--url",
      "http://127.0.0.1:9",
      "--http-timeout",
      "2",
    ]);
    expect(down).toMatchObject({
      code: 4,
      stderr: expect.stringContaining("cannot reach http://127.0.0.1:9"),
    });
    const fault = await runTestCli(["status", "k-12345678"], {
      fetch: async () => {
        throw new RangeError("a bug");
      },
    });
    expect(fault).toMatchObject({
      code: 70,
      stderr: expect.stringContaining("unexpected error: RangeError: a bug"),
    });
  });
});
