import { describe, expect, it } from 'vitest';
import { batchIdOf } from '../../src/deliver/batch-id.js';
import { change } from './fixtures.js';

describe('batchIdOf', () => {
  it('is a UUID (version 8) and the same for the same items, whoever builds them', () => {
    const id = batchIdOf([change('add', 'a'), change('update', 'b', 2)]);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Fresh objects with equal content, as another process would build them after a restart.
    expect(batchIdOf([change('add', 'a'), change('update', 'b', 2)])).toBe(id);
  });

  it('differs when anything a receiver would see differs: state, event, object, uid, order, count', () => {
    const base = [change('add', 'a'), change('update', 'b', 2)];
    const variants = [
      [change('add', 'a'), change('update', 'b', 3)],
      [change('add', 'a'), change('add', 'b', 2)],
      [change('add', 'a'), change('update', 'c', 2)],
      [change('add', 'a'), change('update', 'b', 2, 'other-uid')],
      [change('update', 'b', 2), change('add', 'a')],
      [change('add', 'a')],
      [change('add', 'a'), change('update', 'b', 2), change('delete', 'd')],
      [],
    ];
    const ids = new Set([batchIdOf(base), ...variants.map((items) => batchIdOf(items))]);
    expect(ids.size).toBe(variants.length + 1);
  });
});
