import { RestError, type TableClient } from "@azure/data-tables";

/**
 * Compare-and-swap on single table rows: the one primitive the coordination state needs (I/O shell).
 * The decisions live in the callers' `next` functions, which are pure; a test runs them over
 * test/support's in-memory RowStore.
 */

export interface Row {
  partitionKey: string;
  rowKey: string;
}

export interface RowStore {
  read<E extends Row>(partitionKey: string, rowKey: string): Promise<E | undefined>;
  /**
   * `next` sees the current row (or none) and returns its replacement, the current row itself when it is
   * already as wanted (true, nothing written), or undefined to refuse (false). Another writer winning in
   * between makes it read again.
   */
  swap<E extends Row>(
    partitionKey: string,
    rowKey: string,
    next: (current: E | undefined) => E | undefined,
  ): Promise<boolean>;
}

/** Contention on one row is brief; ten lost races in a row means something else is wrong. */
const MAX_SWAP_ATTEMPTS = 10;

export class ConcurrentUpdateError extends Error {
  override readonly name = "ConcurrentUpdateError";
  constructor(what: string) {
    super(`${what} was changed by another invocation`);
  }
}

export class TableRows implements RowStore {
  constructor(private readonly table: TableClient) {}

  async read<E extends Row>(partitionKey: string, rowKey: string): Promise<E | undefined> {
    try {
      return await this.table.getEntity<E>(partitionKey, rowKey);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async swap<E extends Row>(
    partitionKey: string,
    rowKey: string,
    next: (current: E | undefined) => E | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      const current = await this.read<E & { etag: string }>(partitionKey, rowKey);
      const replacement = next(current);
      if (replacement === undefined) return false;
      if (replacement === current) return true;
      try {
        // Insert conflicts and ETag mismatches mean another writer won.
        if (current === undefined) await this.table.createEntity(replacement);
        else await this.table.updateEntity(replacement, "Replace", { etag: current.etag });
        return true;
      } catch (error) {
        if (!isStatus(error, 409) && !isStatus(error, 412)) throw error;
      }
    }
    throw new ConcurrentUpdateError(`${partitionKey}/${rowKey}`);
  }
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}
