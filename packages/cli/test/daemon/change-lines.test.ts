import type { Change, KubeObject } from '@watch-proxy/core';
import { describe, expect, it } from 'vitest';

import { changedFields, createChangePrinter, formatChangeLine, MAX_LISTED_FIELDS } from '../../src/change-lines.js';

function change(event: Change['event'], object: KubeObject, extra: Partial<Change> = {}): Change {
  const metadata = object['metadata'] as { name: string; namespace?: string };
  return {
    key: `configmaps|${metadata.namespace ?? ''}/${metadata.name}`,
    resource: 'configmaps',
    event,
    object,
    uid: 'u1',
    namespace: metadata.namespace ?? '',
    name: metadata.name,
    assetId: 'cm',
    uniqueId: 'c-u1',
    fingerprint: 'f',
    observedAt: new Date(2026, 11, 5, 7, 8, 9).getTime(),
    ...extra,
  };
}

const v1 = { metadata: { name: 'settings', namespace: 'demo', resourceVersion: '10', labels: { tier: 'a' } }, data: { color: 'blue', size: 'm' } };
const v2 = { metadata: { name: 'settings', namespace: 'demo', resourceVersion: '11', labels: { tier: 'b' } }, data: { color: 'red', size: 'm', shape: 'o' } };

describe('changedFields', () => {
  it('lists changed, added and removed leaves in document order, not the bookkeeping the apiserver rewrites', () => {
    expect(changedFields(v1, v2)).toEqual(['metadata.labels.tier', 'data.color', 'data.shape']);
    expect(changedFields(v2, v1)).toEqual(['metadata.labels.tier', 'data.color', 'data.shape']);
  });

  it('names a changed list as a whole, and quotes keys that are not identifiers', () => {
    const a = { metadata: { annotations: { 'app.kubernetes.io/name': 'x' } }, spec: { ports: [{ port: 80 }] } };
    const b = { metadata: { annotations: { 'app.kubernetes.io/name': 'y' } }, spec: { ports: [{ port: 81 }] } };
    expect(changedFields(a, b)).toEqual(['metadata.annotations["app.kubernetes.io/name"]', 'spec.ports']);
  });

  it('finds nothing when only resourceVersion, managedFields or generation moved', () => {
    const a = { metadata: { resourceVersion: '1', generation: 1, managedFields: [{ manager: 'a' }] } };
    const b = { metadata: { resourceVersion: '2', generation: 2, managedFields: [{ manager: 'b' }] } };
    expect(changedFields(a, b)).toEqual([]);
  });
});

describe('formatChangeLine', () => {
  it('an add: time, event, resource, namespace/name', () => {
    expect(formatChangeLine(change('add', v1), undefined)).toBe('07:08:09  add     configmaps    demo/settings');
  });

  it('an update names the fields changed since the state printed before', () => {
    expect(formatChangeLine(change('update', v2), v1)).toBe(
      '07:08:09  update  configmaps    demo/settings  metadata.labels.tier, data.color, data.shape',
    );
  });

  it('an update of an object not printed before says so', () => {
    expect(formatChangeLine(change('update', v2), undefined)).toMatch(/demo\/settings {2}\(earlier state not seen\)$/);
  });

  it('a cluster-scoped object has no namespace part; a synthesized delete says why', () => {
    const ns = { metadata: { name: 'team-a' } };
    expect(formatChangeLine({ ...change('delete', ns), resource: 'namespaces', synthesized: 'restart' }, ns)).toBe(
      '07:08:09  delete  namespaces    team-a  (gone since the last run)',
    );
  });

  it(`lists at most ${String(MAX_LISTED_FIELDS)} fields and counts the rest`, () => {
    const keys = Array.from({ length: MAX_LISTED_FIELDS + 3 }, (_, i) => `k${String(i)}`);
    const before = { metadata: { name: 'settings', namespace: 'demo' }, data: Object.fromEntries(keys.map((k) => [k, '1'])) };
    const after = { metadata: { name: 'settings', namespace: 'demo' }, data: Object.fromEntries(keys.map((k) => [k, '2'])) };
    const line = formatChangeLine(change('update', after), before);
    expect(line).toContain(`data.k${String(MAX_LISTED_FIELDS - 1)}, +3 more`);
    expect(line).not.toContain(`data.k${String(MAX_LISTED_FIELDS)},`);
  });
});

describe('createChangePrinter', () => {
  it('remembers each printed state until the delete, so updates name their fields', () => {
    const printer = createChangePrinter();
    const text = printer.lines([change('add', v1), change('update', v2)]) + printer.lines([change('delete', v2), change('update', v1)]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/update {2}configmaps {4}demo\/settings {2}metadata\.labels\.tier, data\.color, data\.shape$/);
    expect(lines[2]).toMatch(/delete {2}configmaps {4}demo\/settings$/);
    // Forgotten at the delete: nothing to compare with.
    expect(lines[3]).toMatch(/\(earlier state not seen\)$/);
    expect(lines[4]).toBe('');
  });
});
