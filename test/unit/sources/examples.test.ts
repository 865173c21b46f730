import { beforeAll, describe, expect, it } from "vitest";
import { mapEvent } from "../../../src/sources/evaluate.ts";
import type { SourceMapping, SourceRegistry } from "../../../src/sources/mapping.ts";
import { examplePayload, exampleRegistry } from "./examples.ts";

/**
 * The shipped mappings (examples/sources/*.json) against payloads in each product's documented shape
 * (examples/sources/README.md says where each came from and what was changed): what a deployment with
 * SOURCE_MAPPINGS_DIR=examples/sources would make of them.
 */

let registry: SourceRegistry;
beforeAll(async () => {
  registry = await exampleRegistry();
});

function mapping(name: string): SourceMapping {
  const found = registry.get(name);
  if (found === undefined) throw new Error(`no example mapping ${name}`);
  return found;
}

/** The payload with one change applied to a copy: the variations a product really sends. */
// biome-ignore lint/suspicious/noExplicitAny: the edits reach into a product's payload, which has no type here.
function variant(file: string, edit: (json: Record<string, any>) => void): Record<string, unknown> {
  const json = structuredClone(examplePayload(file).json);
  edit(json);
  return json;
}

describe("examples/sources", () => {
  it("loads every example, named after its file", () => {
    expect([...registry.keys()].sort()).toEqual(["hr-leaver", "jira", "servicenow"]);
  });

  describe("jira (jira:issue_updated, a transition to Done)", () => {
    it("reads the request's custom fields as one add, keyed by issue and changelog", async () => {
      const mapped = await mapEvent(mapping("jira"), examplePayload("jira-issue-updated.json").json);
      expect(mapped).toEqual({
        kind: "mapped",
        several: false,
        items: [
          {
            kind: "change",
            change: {
              itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000003",
              email: "dana@corp.example",
              action: "add",
              id: "JRA-20002/10124",
              source: "jira",
              occurredAt: "2025-11-20T09:15:00.000Z",
              reason: "JRA-20002: I feel the need for speed",
              requestedBy: "Bryan Rollins [Atlassian]",
              dryRun: false,
            },
          },
        ],
      });
    });

    it("reads 'Remove owner' as a removal", async () => {
      const payload = variant("jira-issue-updated.json", (json) => {
        json.issue.fields.customfield_10052.value = "Remove owner";
      });
      const mapped = await mapEvent(mapping("jira"), payload);
      expect(mapped).toMatchObject({ kind: "mapped", items: [{ change: { action: "remove" } }] });
    });

    it("skips an update that is not a transition to Done, and other events", async () => {
      const inProgress = variant("jira-issue-updated.json", (json) => {
        json.changelog.items[1].toString = "In Review";
      });
      const summaryOnly = variant("jira-issue-updated.json", (json) => {
        json.changelog.items.pop();
      });
      const created = variant("jira-issue-updated.json", (json) => {
        json.webhookEvent = "jira:issue_created";
      });
      for (const payload of [inProgress, summaryOnly, created]) {
        expect(await mapEvent(mapping("jira"), payload)).toMatchObject({ kind: "skipped" });
      }
    });

    it("names the fields a Done request left empty or wrong", async () => {
      const payload = variant("jira-issue-updated.json", (json) => {
        delete json.issue.fields.customfield_10050;
        json.issue.fields.customfield_10051.emailAddress = "not an address";
        json.issue.fields.customfield_10052.value = "Make coffee";
      });
      const mapped = await mapEvent(mapping("jira"), payload);
      expect(mapped.kind).toBe("unreadable");
      expect(mapped.kind === "unreadable" && mapped.errors.map((e) => e.path).sort()).toEqual([
        "action",
        "email",
        "itwinId",
      ]);
    });
  });

  describe("servicenow (outbound REST message from a catalog task)", () => {
    it("makes one change per iTwin the task names, keyed by the task number", async () => {
      const mapped = await mapEvent(
        mapping("servicenow"),
        examplePayload("servicenow-catalog-task.json").json,
      );
      const common = {
        email: "erin@corp.example",
        action: "add",
        id: "SCTASK0010042",
        source: "servicenow",
        occurredAt: "2026-11-20T09:15:00.000Z",
        reason: "SCTASK0010042 Grant iTwin ownership",
        requestedBy: "beth.anglin",
        dryRun: false,
      };
      expect(mapped).toEqual({
        kind: "mapped",
        several: true,
        items: [
          { kind: "change", change: { ...common, itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001" } },
          { kind: "change", change: { ...common, itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000003" } },
        ],
      });
    });

    it("reads a single iTwin as one change, and skips a task that is not closed complete", async () => {
      const single = variant("servicenow-catalog-task.json", (json) => {
        json.variables.itwin_ids = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";
      });
      expect(await mapEvent(mapping("servicenow"), single)).toMatchObject({
        kind: "mapped",
        items: [{ change: { itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000002" } }],
      });
      const open = variant("servicenow-catalog-task.json", (json) => {
        json.sc_task.state = "2";
      });
      expect(await mapEvent(mapping("servicenow"), open)).toMatchObject({ kind: "skipped" });
    });

    it("names the item whose iTwin id is not one, and a task naming no iTwin", async () => {
      const typo = variant("servicenow-catalog-task.json", (json) => {
        json.variables.itwin_ids = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001 bridge";
      });
      expect(await mapEvent(mapping("servicenow"), typo)).toEqual({
        kind: "unreadable",
        errors: [{ path: "changes[1].itwinId", message: "must be an iTwin id (a UUID)" }],
      });
      const none = variant("servicenow-catalog-task.json", (json) => {
        json.variables.itwin_ids = "";
      });
      expect(await mapEvent(mapping("servicenow"), none)).toEqual({
        kind: "unreadable",
        errors: [{ path: "changes", message: "yields nothing" }],
      });
    });
  });

  describe("hr-leaver (worker.terminated)", () => {
    it("offboards the worker", async () => {
      const mapped = await mapEvent(mapping("hr-leaver"), examplePayload("hr-worker-terminated.json").json);
      expect(mapped).toEqual({
        kind: "mapped",
        several: false,
        items: [
          {
            kind: "offboard",
            person: {
              email: "frank@corp.example",
              source: "hr-leaver",
              occurredAt: "2026-11-20T17:00:00.000Z",
              reason: "left the company (HR event worker.terminated)",
              requestedBy: "hr-leaver webhook",
            },
          },
        ],
      });
    });

    it("skips other HR events and refuses a leaver without an address", async () => {
      const hired = variant("hr-worker-terminated.json", (json) => {
        json.event = "worker.hired";
      });
      expect(await mapEvent(mapping("hr-leaver"), hired)).toMatchObject({ kind: "skipped" });
      const anonymous = variant("hr-worker-terminated.json", (json) => {
        delete json.worker.email;
      });
      expect(await mapEvent(mapping("hr-leaver"), anonymous)).toEqual({
        kind: "unreadable",
        errors: [{ path: "email", message: "yields nothing" }],
      });
    });
  });
});
