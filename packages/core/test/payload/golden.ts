// Loads the golden vectors: *.input.json (objects in API-server key order) and *.body (the bytes Go's
// encoding/json produced for them through the original's types; see golden/gen/main.go).
import { readFileSync } from 'node:fs';
import type { Change, ChangeEvent, KubeObject } from '../../src/index.js';

interface GoldenInput {
  readonly meta: Record<string, unknown> | null;
  readonly items: readonly { assetId: string; uniqueId: string; event: ChangeEvent; object: KubeObject }[];
}

/** One golden vector: the changes and meta to encode, and the exact body the original sent for them. */
export interface GoldenVector {
  readonly name: string;
  readonly items: readonly Change[];
  readonly meta: Record<string, unknown> | null;
  readonly body: Buffer;
}

/** The names of the golden vectors in `golden/`. */
export const goldenNames = ['namespace', 'service', 'mixed'] as const;

/** Reads one golden vector, turning its items into full `Change`s. */
export function loadGolden(name: (typeof goldenNames)[number]): GoldenVector {
  const dir = new URL('./golden/', import.meta.url);
  const input = JSON.parse(readFileSync(new URL(`${name}.input.json`, dir), 'utf8')) as GoldenInput;
  const items = input.items.map((item, index): Change => {
    const metadata = (item.object['metadata'] ?? {}) as Record<string, unknown>;
    return {
      key: `things|${String(metadata['name'] ?? index)}`,
      resource: 'things',
      event: item.event,
      object: item.object,
      uid: String(metadata['uid'] ?? `uid-${index}`),
      namespace: String(metadata['namespace'] ?? ''),
      name: String(metadata['name'] ?? ''),
      assetId: item.assetId,
      uniqueId: item.uniqueId,
      fingerprint: `fp-${index}`,
      observedAt: 0,
    };
  });
  return { name, items, meta: input.meta, body: readFileSync(new URL(`${name}.body`, dir)) };
}
