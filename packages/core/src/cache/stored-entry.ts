import { canonicalJson } from '../payload/canonical-json.js';
import type { EmitCacheEntry } from './emit-cache.js';
import type { StateFile } from './state-file.js';

/** An entry's fields other than its state. */
export type EntryFields = Omit<EmitCacheEntry, 'state'>;

/**
 * An emit cache entry whose state lies in a `StateFile` (a snapshot or the spill), read back when `state` is read:
 * what keeps a large cache's memory to its fingerprints and names. The state is a prototype getter, so a spread
 * (`{ ...entry }`) does not carry it: copy with `entryWith`.
 */
export class StoredEntry implements EmitCacheEntry {
  readonly fingerprint: string;
  readonly resource: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly assetId: string;
  readonly uniqueId: string;
  readonly deliveredAt: number;
  readonly file: StateFile;
  /** Where the state's UTF-8 bytes start in `file`. */
  readonly offset: number;
  /** How many bytes the state has. */
  readonly length: number;

  constructor(fields: EntryFields, file: StateFile, offset: number, length: number) {
    this.fingerprint = fields.fingerprint;
    this.resource = fields.resource;
    this.uid = fields.uid;
    this.namespace = fields.namespace;
    this.name = fields.name;
    this.assetId = fields.assetId;
    this.uniqueId = fields.uniqueId;
    this.deliveredAt = fields.deliveredAt;
    this.file = file;
    this.offset = offset;
    this.length = length;
  }

  /**
   * The canonical JSON of the delivered object, read from the file. Never throws: a file that cannot be read (an
   * I/O error, a file changed behind the process) is reported by the file, and the entry then carries the smallest
   * object a delete can (its name and uid), as a store short of room does.
   */
  get state(): string {
    return this.bytes().toString('utf8');
  }

  /** The state's UTF-8 bytes, as `state` reads them. */
  bytes(): Buffer {
    try {
      return this.file.read(this.offset, this.length);
    } catch (error) {
      this.file.unreadable(error);
      return Buffer.from(minimalState(this.namespace, this.name, this.uid), 'utf8');
    }
  }
}

/** The smallest object a delete can carry when the object's last state is not known. */
export function minimalState(namespace: string, name: string, uid: string): string {
  return canonicalJson({ metadata: namespace === '' ? { name, uid } : { name, namespace, uid } });
}

/** The state of `entry` as UTF-8 bytes: copied from its file without decoding when it is stored. */
export function stateBytes(entry: EmitCacheEntry): Buffer {
  return entry instanceof StoredEntry ? entry.bytes() : Buffer.from(entry.state, 'utf8');
}

/** `entry` with its fingerprint and delivery time replaced, its state left where it is (memory or file). */
export function entryWith(entry: EmitCacheEntry, fields: Partial<Pick<EmitCacheEntry, 'fingerprint' | 'deliveredAt'>>): EmitCacheEntry {
  if (!(entry instanceof StoredEntry)) return { ...entry, ...fields };
  return new StoredEntry({ ...fieldsOf(entry), ...fields }, entry.file, entry.offset, entry.length);
}

/** The fields of `entry` other than its state (never reads a stored state). */
export function fieldsOf(entry: EmitCacheEntry): EntryFields {
  const { fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt } = entry;
  return { fingerprint, resource, uid, namespace, name, assetId, uniqueId, deliveredAt };
}
