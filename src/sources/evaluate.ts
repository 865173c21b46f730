import {
  type FieldError,
  fieldErrors,
  httpChangeSchema,
  MAX_BATCH,
  type OwnerChange,
} from "../changes/model.ts";
import { CHANGE_FIELDS, type ChangeField, type Expression, type SourceMapping } from "./mapping.ts";

/**
 * A delivery's payload read through its source's mapping (docs/sources.md): skipped, unreadable (every
 * field that could not be read, named), or the owner changes it asks for. Pure apart from awaiting
 * JSONata, which evaluates asynchronously but touches nothing outside the payload.
 */

/** "The person leaves every iTwin": no iTwin, the removals come from src/people/offboard.ts. */
const OFFBOARD = "offboard";

/** An offboarding as a mapping reads it: the owner-change fields that still mean something without an iTwin. */
const offboardSchema = httpChangeSchema.pick({
  email: true,
  id: true,
  source: true,
  reason: true,
  requestedBy: true,
  occurredAt: true,
});
export type OffboardRequest = ReturnType<typeof offboardSchema.parse>;

export type MappedItem =
  | { kind: "change"; change: OwnerChange }
  | { kind: "offboard"; person: OffboardRequest };

export type MappedEvent =
  | { kind: "skipped"; reason: string }
  | { kind: "unreadable"; errors: FieldError[] }
  /** `several`: the mapping has a `changes` expression, so the answer and the idempotency keys are per item. */
  | { kind: "mapped"; several: boolean; items: MappedItem[] };

type Evaluated = { ok: true; value: unknown } | { ok: false; error: FieldError };

export async function mapEvent(mapping: SourceMapping, payload: unknown): Promise<MappedEvent> {
  // `$payload` reaches the whole delivery from inside an item of `changes`.
  const bindings = { payload };
  const run = async (expression: Expression, input: unknown, path: string): Promise<Evaluated> => {
    try {
      return { ok: true, value: await expression.evaluate(input, bindings) };
    } catch (error) {
      // A runtime error (a type mismatch in a function call, say) is the payload not fitting the mapping.
      return { ok: false, error: { path, message: `JSONata: ${(error as { message?: string }).message}` } };
    }
  };

  if (mapping.filter !== undefined) {
    const filter = await run(mapping.filter, payload, "filter");
    if (!filter.ok) return { kind: "unreadable", errors: [filter.error] };
    if (filter.value === false || filter.value === undefined) {
      return { kind: "skipped", reason: `the ${mapping.name} mapping's filter did not match this event` };
    }
    if (filter.value !== true) {
      return {
        kind: "unreadable",
        errors: [{ path: "filter", message: `must yield true or false; yields ${kindOf(filter.value)}` }],
      };
    }
  }

  let items: unknown[] = [payload];
  if (mapping.changes !== undefined) {
    const changes = await run(mapping.changes, payload, "changes");
    if (!changes.ok) return { kind: "unreadable", errors: [changes.error] };
    // JSONata hands a one-item sequence back as the item itself.
    items = changes.value === undefined || changes.value === null ? [] : [changes.value].flat();
    if (items.length === 0)
      return { kind: "unreadable", errors: [{ path: "changes", message: "yields nothing" }] };
    if (items.length > MAX_BATCH) {
      return {
        kind: "unreadable",
        errors: [{ path: "changes", message: `yields ${items.length} changes; at most ${MAX_BATCH}` }],
      };
    }
  }

  const several = mapping.changes !== undefined;
  const mapped: MappedItem[] = [];
  const errors: FieldError[] = [];
  for (const [index, item] of items.entries()) {
    const prefix = several ? `changes[${index}].` : "";
    const read = await readItem(mapping, (expression, field) => run(expression, item, field));
    if (read.ok) mapped.push(read.item);
    else errors.push(...read.errors.map((error) => ({ ...error, path: prefix + error.path })));
  }
  return errors.length > 0 ? { kind: "unreadable", errors } : { kind: "mapped", several, items: mapped };
}

type ReadItem = { ok: true; item: MappedItem } | { ok: false; errors: FieldError[] };

/** One item's fields, each one text or nothing, then the owner-change schema over them. */
async function readItem(
  mapping: SourceMapping,
  run: (expression: Expression, field: ChangeField) => Promise<Evaluated>,
): Promise<ReadItem> {
  const values: Partial<Record<ChangeField, string>> = {};
  const errors: FieldError[] = [];
  for (const field of CHANGE_FIELDS) {
    const expression = mapping.fields[field];
    if (expression === undefined) continue;
    const evaluated = await run(expression, field);
    if (!evaluated.ok) {
      errors.push(evaluated.error);
      continue;
    }
    const text = asText(evaluated.value);
    if (!text.ok) errors.push({ path: field, message: text.message });
    else if (text.value !== undefined) values[field] = text.value;
  }
  const action = values.action?.toLowerCase();
  const offboard = action === OFFBOARD;
  // Only fields that read cleanly are judged missing, so each field is reported once.
  const failed = new Set(errors.map((error) => error.path));
  const required: ChangeField[] = offboard ? ["email", "action"] : ["itwinId", "email", "action"];
  for (const field of required) {
    if (values[field] === undefined && !failed.has(field))
      errors.push({ path: field, message: "yields nothing" });
  }
  if (action !== undefined && !offboard && action !== "add" && action !== "remove") {
    errors.push({ path: "action", message: 'must yield "add", "remove" or "offboard"' });
  }
  // The schema judges the rest, so that one answer names every field the sender must fix.
  const { itwinId, action: _, ...rest } = values;
  const fields = { ...rest, source: mapping.name };
  const parsed = offboard
    ? offboardSchema.safeParse(fields)
    : httpChangeSchema.safeParse({ ...fields, itwinId, action });
  const reported = new Set(errors.map((error) => error.path));
  if (!parsed.success) errors.push(...fieldErrors(parsed.error).filter((e) => !reported.has(e.path)));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return offboard
    ? { ok: true, item: { kind: "offboard", person: parsed.data as OffboardRequest } }
    : { ok: true, item: { kind: "change", change: parsed.data as OwnerChange } };
}

/**
 * What an expression yielded as one text. Nothing, null and blank text are "nothing" (ticket systems
 * send empty fields as ""); a one-item array is its item; numbers, objects and several values are
 * refused rather than guessed at, since a guess would put a wrong id or address into the audit trail.
 */
function asText(value: unknown): { ok: true; value: string | undefined } | { ok: false; message: string } {
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (single === undefined || single === null) return { ok: true, value: undefined };
  if (typeof single === "string") return { ok: true, value: single.trim() === "" ? undefined : single };
  return { ok: false, message: `must yield text; yields ${kindOf(single)}` };
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} values`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
