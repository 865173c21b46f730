/**
 * A StrykerJS reporter that closes the run with one line per mutated file, and fails the run when any
 * single file scores under `thresholds.break`. Stryker's own break threshold applies to the total only,
 * where a well-tested large file can hide a weak small one; the clear-text table above it is long and
 * mixed with the surviving mutants.
 *
 * The scores are Stryker's own (`metrics.mutationScore`: detected ÷ valid mutants), not recomputed here.
 */
import { commonTokens, declareFactoryPlugin, PluginKind } from "@stryker-mutator/api/plugin";

function files(result) {
  return result.file === undefined ? result.childResults.flatMap(files) : [result];
}

function relative(name) {
  return name.replace(/\\/g, "/");
}

function line(label, metrics, width) {
  const score = Number.isNaN(metrics.mutationScore) ? "n/a" : `${metrics.mutationScore.toFixed(2)} %`;
  const counts = `killed ${metrics.killed}, timeout ${metrics.timeout}, survived ${metrics.survived}, no coverage ${metrics.noCoverage}`;
  return `  ${label.padEnd(width)}  ${score.padStart(8)}  (${counts})`;
}

function perFileReporter(options) {
  return {
    onMutationTestReportReady(_report, metrics) {
      const root = metrics.systemUnderTestMetrics;
      const leaves = files(root);
      const names = leaves.map((leaf) => relative(leaf.file?.name ?? leaf.name));
      const width = Math.max(9, ...names.map((name) => name.length));
      const limit = options.thresholds.break;
      const below = leaves.filter((leaf) => typeof limit === "number" && leaf.metrics.mutationScore < limit);
      const out = [
        "",
        `Mutation score per file${typeof limit === "number" ? ` (each must reach ${limit} %)` : ""}:`,
        ...leaves.map((leaf, i) => line(names[i], leaf.metrics, width)),
        line("all files", root.metrics, width),
      ];
      if (below.length > 0) {
        out.push(`Under ${limit} %: ${below.map((leaf) => names[leaves.indexOf(leaf)]).join(", ")}`);
        process.exitCode = 1;
      }
      console.log(out.join("\n"));
    },
  };
}
perFileReporter.inject = [commonTokens.options];

export const strykerPlugins = [declareFactoryPlugin(PluginKind.Reporter, "per-file", perFileReporter)];
