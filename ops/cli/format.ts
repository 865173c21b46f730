import type { StatusDocument } from "../../src/changes/model.ts";
import type { ChangeSummary } from "./client.ts";

/** Human output: aligned tables and one-line descriptions of changes. Pure. */

/** Columns padded to their widest cell; numbers are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === "number"),
  );
  return cells
    .map((row) =>
      row
        .map((cell, column) => {
          const width = widths[column] ?? 0;
          return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** "succeeded/added", "failed (InsufficientPermissions)", "held". */
export function statusText(doc: { status: string; outcome?: string; error?: { code: string } }): string {
  if (doc.outcome !== undefined) return `${doc.status}/${doc.outcome}`;
  if (doc.error !== undefined && (doc.status === "failed" || doc.status === "rejected")) {
    return `${doc.status} (${doc.error.code})`;
  }
  return doc.status;
}

export function summaryRows(items: readonly ChangeSummary[]): (string | number)[][] {
  return items.map((item) => [
    item.createdAt.replace(/\.\d{3}Z$/, "Z"),
    item.id,
    statusText(item),
    item.action,
    item.email,
    item.itwinId,
  ]);
}

export const SUMMARY_HEADER = ["CREATED", "ID", "STATUS", "ACTION", "EMAIL", "ITWIN"];

/** A status document for people: the fields that answer "who asked for what, why, and what happened". */
export function describeDocument(doc: StatusDocument): string {
  const lines: [string, string | undefined][] = [
    ["id", doc.id],
    ["status", statusText(doc)],
    ["change", `${doc.action} ${doc.email} on ${doc.itwinId}${doc.dryRun ? " (dry run)" : ""}`],
    ["source", [doc.source, doc.via && `via ${doc.via}`].filter(Boolean).join(" ")],
    ["sender id", doc.senderId],
    ["requested by", doc.requestedBy],
    ["reason", doc.reason],
    ["approved by", doc.approvedBy],
    ["error", doc.error && `${doc.error.code}: ${doc.error.message}`],
    ["api correlation", doc.apiCorrelationId],
    ["attempts", String(doc.attempts)],
    ["created", doc.createdAt],
    ["updated", doc.updatedAt],
  ];
  const shown = lines.filter((line): line is [string, string] => line[1] !== undefined && line[1] !== "");
  const width = Math.max(...shown.map(([name]) => name.length));
  return [
    ...shown.map(([name, value]) => `${name.padEnd(width)}  ${value}`),
    "history:",
    ...doc.history.map((entry) => `  ${entry.at}  ${entry.status}${entry.note ? `  ${entry.note}` : ""}`),
  ].join("\n");
}
