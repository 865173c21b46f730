/**
 * The changes this process is working on right now. The instance registry publishes them with every
 * heartbeat, so crash recovery can tell a live worker's claim from one whose invocation ended without
 * a status update (a storage outage that also failed to release the message keeps it invisible for the
 * host's 10 minutes). Counted, because two deliveries of one change can overlap in a process.
 */
export class WorkInProgress {
  private readonly counts = new Map<string, number>();

  async track<T>(id: string, task: () => Promise<T>): Promise<T> {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    try {
      return await task();
    } finally {
      const left = (this.counts.get(id) ?? 1) - 1;
      if (left > 0) this.counts.set(id, left);
      else this.counts.delete(id);
    }
  }

  ids(): string[] {
    return [...this.counts.keys()];
  }
}
