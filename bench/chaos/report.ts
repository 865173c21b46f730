/** The table `npm run chaos` prints above its JSON line. Pure. */
import type { ChaosResult } from "./run.ts";

const MAX_PROBLEMS = 40;

export function formatReport(result: ChaosResult, title: string): string {
  const { summary, verdict } = result;
  const { parts } = verdict;
  const rows: [string, string, string][] = [
    ["changes", String(summary.changes), "requests submitted (repeats and garbage on top)"],
    ["kills", String(summary.kills), "runner processes SIGKILLed and replaced"],
    [
      "lost",
      String(summary.lost),
      `no document ${parts.missing}, extra documents ${parts.duplicateDocs}, strays ${parts.strayDocs}, replay with another id ${parts.replayMismatches}, garbage not poisoned ${parts.garbageNotPoisoned}`,
    ],
    ["doubleEffects", String(summary.doubleEffects), "applied writes beyond one per request"],
    [
      "wrongFinalState",
      String(summary.wrongFinalState),
      "iTwins whose owners or invitations differ from the model",
    ],
    [
      "nonTerminal",
      String(summary.nonTerminal),
      `not terminal ${parts.open}, no document ${parts.missing}, outcome the model does not allow ${parts.wrongOutcome}`,
    ],
    [
      "recoverySeconds",
      `${summary.recoverySeconds}${result.recoveryIsLowerBound ? "+" : ""}`,
      result.recoveryIsLowerBound
        ? "at least: some change never became terminal"
        : "last change terminal − last fault (kill, azurite, API)",
    ],
    ["seconds", String(summary.seconds), "whole run"],
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const out = [
    "",
    title,
    ...rows.map(
      ([name, value, note]) => `  ${name.padEnd(widths[0] ?? 0)}  ${value.padStart(widths[1] ?? 0)}  ${note}`,
    ),
    "",
    `faults injected: ${Object.entries(summary.faults)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ")}`,
    `outcomes: ${Object.entries(verdict.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ${n}`)
      .join(", ")}`,
    "",
    "timeline (from start)",
    ...result.timeline.map(([what, when]) => `  ${what}: ${when}`),
  ];
  if (verdict.problems.length > 0) {
    out.push(
      "",
      `problems (${verdict.problems.length}${verdict.problems.length > MAX_PROBLEMS ? `, first ${MAX_PROBLEMS}` : ""})`,
    );
    for (const problem of verdict.problems.slice(0, MAX_PROBLEMS)) out.push(`  ${problem}`);
  }
  out.push("");
  return out.join("\n");
}

/** The run failed if any of the four counts is not zero. */
export function failed(result: ChaosResult): boolean {
  const { lost, doubleEffects, wrongFinalState, nonTerminal } = result.summary;
  return lost + doubleEffects + wrongFinalState + nonTerminal > 0;
}
