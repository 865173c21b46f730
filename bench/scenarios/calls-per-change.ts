/**
 * callsPerChange: owners-API requests per change on a mixed batch through the real app (1 runner).
 *
 * 1 000 changes (quick: 400), about half adds of new addresses (a tenth of them outside the
 * organisation, so they become invitations) and half removes of owners seeded beforehand, spread over 20
 * fresh iTwins. Sixteen iTwins hold 30–69 seeded owners (one page at the API's page size of 100), four
 * hold 110–149 (finding an owner may take a second page). Calls = every owners-API request the simulator
 * saw (GET, POST, DELETE, 429s included; token and discovery excluded) ÷ changes.
 */

import { mulberry32 } from "../../dev/simulator/prng.ts";
import { ownersApiCounts } from "../lib/api-stats.ts";
import { progress } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { namesFor, ORG_DOMAIN, SERVICE_OWNER, stack, startRunners } from "../lib/stack.ts";
import { countBy, formatCounts, readStatusDocs, statusTable, waitAllTerminal } from "../lib/status.ts";
import { type Change, submitBatches } from "../lib/submit.ts";
import { round, shuffle } from "../lib/util.ts";

const ITWINS = 20;

export async function callsPerChangeScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const s = await stack(args.ceiling);
  const tag = "calls";
  const n = args.quick ? 400 : 1000;
  const removes = Math.floor(n / 2);
  const adds = n - removes;
  const random = mulberry32(4711);

  const itwins = Array.from({ length: ITWINS }, (_, i) => {
    const owners = i < 16 ? 30 + ((i * 7) % 40) : 110 + ((i * 11) % 40);
    const seededOwners = Array.from({ length: owners }, (_, k) => ({
      email: `${tag}-i${i}-owner${String(k).padStart(3, "0")}@${ORG_DOMAIN}`,
      givenName: "Owner",
      surname: String(k),
    }));
    const { id } = s.simulator.state.addItwin({
      name: `bench ${tag} ${i}`,
      owners: [{ email: SERVICE_OWNER }, ...seededOwners],
    });
    return { id, owners: seededOwners.map((owner) => owner.email) };
  });

  const changes: Change[] = [];
  for (let i = 0; i < removes; i++) {
    const itwin = itwins[i % ITWINS] as (typeof itwins)[number];
    // Distinct seeded owners, picked across the whole list (later pages included).
    const pick = Math.floor(random() * itwin.owners.length);
    const [email] = itwin.owners.splice(pick, 1);
    if (email === undefined) throw new Error("ran out of seeded owners");
    changes.push({ itwinId: itwin.id, email, action: "remove" });
  }
  for (let i = 0; i < adds; i++) {
    const domain = i % 10 === 9 ? "partner.example" : ORG_DOMAIN;
    changes.push({
      itwinId: (itwins[(i * 3) % ITWINS] as (typeof itwins)[number]).id,
      email: `${tag}-new${String(i).padStart(5, "0")}@${domain}`,
      action: "add",
    });
  }
  shuffle(changes, random);

  const group = await startRunners(s, tag, 1);
  try {
    const table = statusTable(s.azurite.connectionString, namesFor(tag).statusTable);
    s.simulator.state.resetStats();
    progress(`${tag}: submitting ${n} changes (${adds} adds, ${removes} removes)`);
    const submitted = await submitBatches(group.front.url, changes, { concurrency: 2 });
    const wait = await waitAllTerminal({
      table,
      expected: n,
      timeoutMs: Math.max(90_000, ((3 * n) / args.ceiling.rps) * 1000),
      what: tag,
    });
    const api = ownersApiCounts(s.simulator.state.stats());
    const ours = new Set(submitted.ids);
    const docs = (await readStatusDocs(table)).filter((doc) => ours.has(doc.id));
    const elapsedS = (Date.now() - submitted.firstAt) / 1000;
    const perChange = api.requests / n;
    const withoutRefused = (api.requests - api.tooMany) / n;
    const byAction = countBy(docs, (doc) => `${doc.action ?? "?"}:${doc.outcome ?? doc.status}`);
    const notes = wait.done
      ? []
      : [
          `${tag}: only ${wait.terminal}/${n} terminal after ${wait.waitedMs} ms (timed out); calls so far counted`,
        ];
    return {
      metrics: { callsPerChange: round(perChange, 4) },
      notes,
      details: [
        {
          label: "changes",
          value: `${n} (${adds} adds, a tenth outside the organisation; ${removes} removes of seeded owners) over ${ITWINS} iTwins of 30–149 owners; outcomes: ${formatCounts(byAction)}`,
        },
        {
          label: "owners API",
          value: `${api.requests} requests: ${formatCounts(api.byMethod)}; statuses ${formatCounts(api.byStatus)}; ${round(withoutRefused, 4)} per change without the 429s; ${round(elapsedS, 1)} s in all`,
        },
      ],
    };
  } finally {
    await group.stop();
  }
}
