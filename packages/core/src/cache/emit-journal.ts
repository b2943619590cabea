import { createReadStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canonicalJson } from '../payload/canonical-json.js';
import type { Batch, Change } from '../types.js';
import { AppendLog } from './append-log.js';
import { UNCONFIRMED_FINGERPRINT, type EmitCache, type EmitCacheEntry } from './emit-cache.js';
import { entryWith, minimalState } from './stored-entry.js';

const FORMAT = 'watch-proxy-emit-journal';
const VERSION = 1;

/**
 * Where segment `seq` of a sink's journal lives under `stateDir`: next to its snapshot
 * (`emit-cache.<sink>.ndjson`), named so that no other sink's name can produce it.
 */
export function journalSegmentPath(stateDir: string, sinkName: string, seq: number): string {
  return join(stateDir, `emit-cache.${encodeURIComponent(sinkName)}.${String(seq)}.journal`);
}

/** The segments of a sink's journal under `stateDir`, by sequence number, oldest first. */
export async function listJournalSegments(stateDir: string, sinkName: string): Promise<number[]> {
  const prefix = `emit-cache.${encodeURIComponent(sinkName)}.`;
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const seqs: number[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.journal')) continue;
    const middle = name.slice(prefix.length, -'.journal'.length);
    if (/^\d{1,15}$/.test(middle)) seqs.push(Number(middle));
  }
  return seqs.sort((a, b) => a - b);
}

/**
 * Journal lines (NDJSON arrays):
 * - `["i", key, uid, fingerprint, resource, namespace, name, assetId, uniqueId, state|null]`: about to be sent (an
 *   add or update). `state` is the object when the sink is not yet known to hold this incarnation, else null (a
 *   delete found after a crash then carries the last state confirmed delivered).
 * - `["d", key, uid, fingerprint, deliveredAt]`: that add or update was delivered.
 * - `["x", key, uid]`: a delete of that incarnation was delivered.
 */
type IntentLine = readonly ['i', string, string, string, string, string, string, string, string, unknown];

function intentLine(change: Change, withState: boolean): string {
  const head = JSON.stringify(['i', change.key, change.uid, change.fingerprint, change.resource, change.namespace, change.name, change.assetId, change.uniqueId]);
  // The canonical text is memoized per frozen object (the fingerprint computed it): spliced in, not re-encoded.
  return `${head.slice(0, -1)},${withState ? canonicalJson(change.object) : 'null'}]\n`;
}

/** Settings of one journal. */
export interface EmitJournalOptions {
  readonly stateDir: string;
  readonly sinkName: string;
  readonly cache: EmitCache;
  /** Called with write failures; the send goes on (the journal is then not crash-safe until the next segment). */
  readonly onError: (error: Error) => void;
}

/**
 * The write-ahead journal of one sink's emit cache. Before a batch is sent, `intend` appends what it may put at
 * the receiver (key, uid, and the state a delete needs when the sink never had the object) and fsyncs once for the
 * whole batch; after delivery, the cache's record is appended (fsynced with the next batch: losing it only makes a
 * restart re-send). `rotate` starts a new segment, carrying over the intents still unconfirmed, so the snapshot
 * written next can replace every older segment. Between snapshots (every `persistInterval`), the journal is what
 * lets a restart after `kill -9` know every object that may have reached the receiver.
 */
export class EmitJournal {
  readonly #o: EmitJournalOptions;
  readonly #log = new AppendLog();
  /** Intents not yet confirmed delivered, by key: carried into every new segment. */
  readonly #pending = new Map<string, { readonly uid: string; readonly fingerprint: string; readonly line: string }>();
  #seq = 0;
  #failed = false;

  constructor(options: EmitJournalOptions) {
    this.#o = options;
    options.cache.onRecorded((change, entry) => this.#recorded(change, entry));
  }

  /** The segment being appended to. */
  get seq(): number {
    return this.#seq;
  }

  /** Opens segment `seq` (the first one after those replayed) and appends to it from now on. */
  async open(seq: number): Promise<void> {
    this.#seq = seq;
    await this.#log.switchTo(journalSegmentPath(this.#o.stateDir, this.#o.sinkName, seq), () => this.#preamble());
  }

  /**
   * Journals the adds and updates of `batch` (deletes need nothing: the object stays in the cache until the delete
   * is confirmed) and resolves once they are on disk. Never rejects: a write failure is reported and the send goes on.
   */
  async intend(batch: Batch): Promise<void> {
    let added = false;
    for (const change of batch.items) {
      if (change.event === 'delete') continue;
      const pending = this.#pending.get(change.key);
      // A retry, or the same state again: already journalled.
      if (pending !== undefined && pending.uid === change.uid && pending.fingerprint === change.fingerprint) continue;
      const known = this.#o.cache.get(change.key);
      if (known !== undefined && known.uid === change.uid && known.fingerprint === change.fingerprint) continue;
      const line = intentLine(change, known?.uid !== change.uid);
      this.#pending.set(change.key, { uid: change.uid, fingerprint: change.fingerprint, line });
      this.#log.append(line);
      added = true;
    }
    if (!added) return;
    try {
      await this.#log.commit();
      this.#failed = false;
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Starts the next segment (the unconfirmed intents go first in it) and resolves to its sequence number once
   * it is on disk: a snapshot of the cache taken after this covers every older segment.
   */
  async rotate(): Promise<number> {
    const seq = this.#seq + 1;
    await this.#log.switchTo(journalSegmentPath(this.#o.stateDir, this.#o.sinkName, seq), () => this.#preamble());
    this.#seq = seq;
    return seq;
  }

  /** Deletes the segments before `seq` (a snapshot now covers them). */
  async removeBefore(seq: number): Promise<void> {
    for (const old of await listJournalSegments(this.#o.stateDir, this.#o.sinkName)) {
      if (old < seq) await rm(journalSegmentPath(this.#o.stateDir, this.#o.sinkName, old), { force: true });
    }
  }

  /** Writes out and closes the current segment. */
  close(): Promise<void> {
    return this.#log.close();
  }

  #preamble(): string {
    const header = `${JSON.stringify({ format: FORMAT, version: VERSION, sink: this.#o.sinkName })}\n`;
    let text = header;
    for (const { line } of this.#pending.values()) text += line;
    return text;
  }

  #recorded(change: Change, entry: EmitCacheEntry | undefined): void {
    const pending = this.#pending.get(change.key);
    if (pending !== undefined && pending.uid === change.uid && (change.event === 'delete' || pending.fingerprint === change.fingerprint)) {
      this.#pending.delete(change.key);
    }
    this.#log.append(
      entry === undefined
        ? `${JSON.stringify(['x', change.key, change.uid])}\n`
        : `${JSON.stringify(['d', change.key, entry.uid, entry.fingerprint, entry.deliveredAt])}\n`,
    );
    this.#log.flushSoon();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#o.onError(error instanceof Error ? error : new Error(String(error)));
  }
}

/** What replaying the journal found. */
export interface JournalReplay {
  /** Segments read. */
  readonly segments: number;
  /** Records applied (headers not counted). */
  readonly records: number;
  /** The highest segment number found (`undefined`: none). */
  readonly lastSeq: number | undefined;
  /** Objects that may have reached the receiver but were never confirmed: restored unconfirmed. */
  readonly unconfirmed: number;
  /** Lines that could not be used (a torn last line after a crash is normal and not counted). */
  readonly badLines: number;
}

/**
 * Applies the segments numbered `fromSeq` and up onto `entries` (the snapshot's), in order. An object journalled
 * as about to be sent and never confirmed becomes an entry with `UNCONFIRMED_FINGERPRINT`: the start-up
 * reconciliation then sends its delete if it is gone, and the replay re-sends it if it still exists.
 */
export async function replayJournal(stateDir: string, sinkName: string, fromSeq: number, entries: Map<string, EmitCacheEntry>): Promise<JournalReplay> {
  const seqs = (await listJournalSegments(stateDir, sinkName)).filter((seq) => seq >= fromSeq);
  const intents = new Map<string, IntentLine>();
  let badLines = 0;
  let records = 0;
  for (const seq of seqs) {
    let previousBad = false;
    const reader = createInterface({ input: createReadStream(journalSegmentPath(stateDir, sinkName, seq), 'utf8'), crlfDelay: Infinity });
    for await (const line of reader) {
      if (previousBad) badLines++;
      previousBad = false;
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // Counted only if another line follows: the last line of a segment is torn when a crash cut its write.
        previousBad = true;
        continue;
      }
      const applied = applyLine(parsed, intents, entries);
      if (applied === 'bad') badLines++;
      else if (applied === 'record') records++;
    }
  }
  let unconfirmed = 0;
  for (const entry of entries.values()) if (entry.fingerprint === UNCONFIRMED_FINGERPRINT) unconfirmed++;
  return { segments: seqs.length, records, lastSeq: seqs.at(-1), unconfirmed, badLines };
}

function isStrings(values: readonly unknown[]): values is readonly string[] {
  return values.every((v) => typeof v === 'string');
}

/** Applies one parsed journal line: a record, a segment header, or a bad line. */
function applyLine(parsed: unknown, intents: Map<string, IntentLine>, entries: Map<string, EmitCacheEntry>): 'record' | 'header' | 'bad' {
  if (!Array.isArray(parsed)) return typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>)['format'] === FORMAT ? 'header' : 'bad';
  const [kind, key, uid] = parsed as unknown[];
  if (typeof key !== 'string' || typeof uid !== 'string') return 'bad';
  const previous = entries.get(key);
  if (kind === 'i' && parsed.length === 10 && isStrings(parsed.slice(0, 9))) {
    const intent = parsed as unknown as IntentLine;
    const [, , , fingerprint, resource, namespace, name, assetId, uniqueId, state] = intent;
    intents.set(key, intent);
    // Already confirmed with this very state: the receiver has it whichever way the send went.
    if (previous !== undefined && previous.uid === uid && previous.fingerprint === fingerprint) return 'record';
    const text = state !== null ? canonicalJson(state) : previous?.uid === uid ? previous.state : minimalState(namespace, name, uid);
    entries.set(key, { fingerprint: UNCONFIRMED_FINGERPRINT, resource, uid, namespace, name, assetId, uniqueId, deliveredAt: 0, state: text });
    return 'record';
  }
  if (kind === 'd' && parsed.length === 5 && typeof parsed[3] === 'string' && typeof parsed[4] === 'number') {
    const fingerprint = parsed[3];
    const deliveredAt = parsed[4];
    const intent = intents.get(key);
    if (intent !== undefined && intent[2] === uid && intent[3] === fingerprint) {
      const [, , , , resource, namespace, name, assetId, uniqueId, state] = intent;
      const text = state !== null ? canonicalJson(state) : previous?.uid === uid ? previous.state : minimalState(namespace, name, uid);
      entries.set(key, { fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt, state: text });
    } else if (previous?.uid === uid) {
      entries.set(key, entryWith(previous, { fingerprint, deliveredAt }));
    }
    return 'record';
  }
  if (kind === 'x' && parsed.length === 3) {
    if (previous?.uid === uid) entries.delete(key);
    return 'record';
  }
  return 'bad';
}
