import type { LeaderRecord, LeaseLock, ObservedRecord } from '../../src/leader/lease-lock.js';

/** One in-memory Lease with resourceVersion checks, for unit tests. Each candidate gets its own `view()`. */
export class MemoryLease {
  current: ObservedRecord | undefined;
  rv = 0;
  readonly writes: LeaderRecord[] = [];

  get record(): LeaderRecord | undefined {
    return this.current?.record;
  }

  /** A lock on this lease as one candidate sees it; set `failing` to cut that candidate off (partition, crash). */
  view(): MemoryLeaseLock {
    return new MemoryLeaseLock(this);
  }
}

export class MemoryLeaseLock implements LeaseLock {
  readonly describe = 'test/lease';
  readonly #lease: MemoryLease;
  failing = false;

  constructor(lease: MemoryLease) {
    this.#lease = lease;
  }

  async get(): Promise<ObservedRecord | undefined> {
    this.#check();
    return this.#lease.current;
  }

  async create(record: LeaderRecord): Promise<ObservedRecord | false> {
    this.#check();
    if (this.#lease.current !== undefined) return false;
    return this.#set(record);
  }

  async update(record: LeaderRecord, resourceVersion: string): Promise<ObservedRecord | false> {
    this.#check();
    if (this.#lease.current?.resourceVersion !== resourceVersion) return false;
    return this.#set(record);
  }

  #set(record: LeaderRecord): ObservedRecord {
    this.#lease.writes.push(record);
    this.#lease.current = { record, resourceVersion: String(++this.#lease.rv) };
    return this.#lease.current;
  }

  #check(): void {
    if (this.failing) throw new Error('apiserver unavailable');
  }
}
