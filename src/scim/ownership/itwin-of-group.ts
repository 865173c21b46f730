/**
 * Which iTwin a SCIM group stands for (pure): an explicit mapping (PUT /api/scim-mappings/{groupId})
 * wins; else an iTwin id (a UUID) written in the group's displayName; else none, and the group changes
 * no ownership.
 *
 * A name with two different UUIDs ("Owners of A, was B") is treated as unmapped rather than guessed:
 * making the wrong people owners of the wrong iTwin is worse than asking an admin for a mapping.
 */

const UUID = /(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi;

/** The one iTwin id in a group's name, lower-cased as the change schema stores it; else undefined. */
export function itwinIdInName(displayName: string): string | undefined {
  const found = new Set([...displayName.matchAll(UUID)].map((match) => match[0].toLowerCase()));
  return found.size === 1 ? [...found][0] : undefined;
}

/** Explicit mappings by group id, as the mappings store lists them. */
export type GroupMappings = ReadonlyMap<string, string>;

export function itwinOfGroup(
  group: { id: string; displayName: string },
  mappings: GroupMappings,
): string | undefined {
  return mappings.get(group.id) ?? itwinIdInName(group.displayName);
}
