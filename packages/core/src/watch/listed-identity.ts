import { namespacedKey } from './object-key.js';

/** What tells a listed object's state from the one a watcher already has: its key, uid and resourceVersion. */
export interface ListedIdentity {
  /** `metaNamespaceKey` of the object: `namespace/name`, or `name` when cluster-scoped. */
  readonly key: string;
  /** `metadata.uid`: tells a re-created object from the one the store has under the same key. */
  readonly uid: string;
  /** `metadata.resourceVersion`, opaque: compared for equality only. */
  readonly resourceVersion: string;
}

// The apiserver encodes built-in kinds with Go's encoding/json, in struct order: the event's type, the object's
// kind and apiVersion, then ObjectMeta's name, generateName, namespace, selfLink, uid and resourceVersion (each
// left out when empty). Anchored at the line's start and taking only strings without escapes, a match can only be
// those fields of the object's own metadata. Anything else (custom resources are encoded with sorted keys, so
// creationTimestamp comes first) does not match, and the line is then parsed whole.
const ADDED_IDENTITY =
  /^\{"type":"ADDED","object":\{"kind":"[^"\\]*","apiVersion":"[^"\\]*","metadata":\{"name":"([^"\\]+)",(?:"generateName":"[^"\\]*",)?(?:"namespace":"([^"\\]+)",)?(?:"selfLink":"[^"\\]*",)?"uid":"([^"\\]+)","resourceVersion":"([^"\\]+)"[,}]/;

/** How much of a line is looked at: the identity ends within ~700 bytes even with the longest names. */
const PEEK_BYTES = 1024;

/**
 * The identity of the object in a watch stream's `ADDED` line, read from the line's first bytes without decoding
 * or parsing the rest, or `undefined` when the line does not start as the apiserver writes a built-in kind. A
 * streaming relist uses it to keep the skeleton it has for an unchanged object (the garbage of decoding and
 * parsing every listed object is what a relist's memory peak is made of). The bytes are read as Latin-1: the
 * fields matched are ASCII, and a multi-byte character there only makes a key the store does not have.
 */
export function peekAddedIdentity(line: Buffer): ListedIdentity | undefined {
  const m = ADDED_IDENTITY.exec(line.toString('latin1', 0, Math.min(line.length, PEEK_BYTES)));
  if (m === null) return undefined;
  const [, name, namespace, uid, resourceVersion] = m as unknown as [string, string, string | undefined, string, string];
  return { key: namespacedKey(namespace ?? '', name), uid, resourceVersion };
}
