import { applyPatch, type Operation } from 'rfc6902';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmitCache } from '../../src/cache/emit-cache.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import { fingerprintOf } from '../../src/payload/canonical-json.js';
import { delivered, resend } from '../../src/sink/sink.js';
import type { Change, ChangeEvent, JsonPatchOperation } from '../../src/types.js';
import { change, makeLane, ScriptedSink } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A configmap large enough that a one-field patch is much smaller than it. */
function cm(event: ChangeEvent, name: string, value: unknown, uid = `u-${name}`): Change {
  return change(event, name, { v: value, filler: 'x'.repeat(200) }, uid);
}

/** `event:name:form` of every item sent, in order. */
function forms(sink: ScriptedSink): string[] {
  return sink.calls.flatMap((c) => c.batch.items.map((i) => `${i.event}:${i.name}:${i.delta?.form ?? 'none'}`));
}

function lastItem(sink: ScriptedSink): Change {
  const item = sink.calls.at(-1)?.batch.items.at(-1);
  if (item === undefined) throw new Error('nothing sent');
  return item;
}

describe('deltaUpdates in a lane: which changes go as a patch', () => {
  it('an update of an object delivered by this process goes as the patch from the delivered state; adds and deletes go whole', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    const first = cm('add', 'a', 1);
    lane.offer(first);
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(cm('update', 'a', 2));
    await vi.advanceTimersByTimeAsync(10);
    const patched = lastItem(sink);
    expect(patched.delta).toEqual({ form: 'patch', patch: [{ op: 'replace', path: '/data/value/v', value: 2 }], baseFingerprint: first.fingerprint });
    // The patch applied to what the receiver holds gives exactly the new state.
    const held = structuredClone(first.object) as Record<string, unknown>;
    expect(applyPatch(held, (patched.delta as { patch: readonly JsonPatchOperation[] }).patch as Operation[])).toEqual([null]);
    expect(held).toEqual(patched.object);
    lane.offer(cm('delete', 'a', 2));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'update:a:patch', 'delete:a:full']);
    await lane.close();
  });

  it('without deltaUpdates no change carries a form (the wire is as before)', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0 });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(cm('update', 'a', 2));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:none', 'update:a:none']);
    await lane.close();
  });

  it('the next patch starts from the last delivered state, not the first', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    const second = cm('update', 'a', 2);
    lane.offer(second);
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(cm('update', 'a', 3));
    await vi.advanceTimersByTimeAsync(10);
    expect(lastItem(sink).delta).toMatchObject({ form: 'patch', baseFingerprint: second.fingerprint, patch: [{ op: 'replace', path: '/data/value/v', value: 3 }] });
    await lane.close();
  });

  it('a patch not smaller than the object goes whole', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    // Every field changes: the patch repeats the whole object and then some.
    const object = deepFreeze({ metadata: { name: 'a', namespace: 'ns', uid: 'u-a' }, data: { other: 'y'.repeat(300) } });
    lane.offer({ ...cm('update', 'a', 1), object, fingerprint: fingerprintOf(object) });
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'update:a:full']);
    await lane.close();
  });

  it('an update of an object known only from a restored cache (a restart) goes whole, the next one as a patch', async () => {
    const cache = new EmitCache({ ttlMs: 0, now: () => Date.now() });
    cache.recordDelivered(cm('add', 'a', 1));
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true, cache });
    lane.offer(cm('update', 'a', 2));
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(cm('update', 'a', 3));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['update:a:full', 'update:a:patch']);
    await lane.close();
  });

  it('after the emit cache entry expired (emitCacheDuration) the update goes whole', async () => {
    const cache = new EmitCache({ ttlMs: 60_000, now: () => Date.now() });
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true, cache });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(61_000);
    lane.offer(cm('update', 'a', 2));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'update:a:full']);
    await lane.close();
  });

  it('after a relist of its resource (reconcile) an object\'s next update goes whole; other resources keep patching', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    const other = (event: ChangeEvent, value: number): Change => ({ ...cm(event, 'b', value), key: 'secrets|ns/b', resource: 'secrets' });
    lane.offer(cm('add', 'a', 1));
    lane.offer(other('add', 1));
    await vi.advanceTimersByTimeAsync(10);
    lane.reconcile('configmaps', new Set(['configmaps|ns/a']), 'relist');
    lane.offer(cm('update', 'a', 2));
    lane.offer(other('update', 2));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'add:b:full', 'update:a:full', 'update:b:patch']);
    await lane.close();
  });

  it('a re-created object (new uid) goes whole', async () => {
    const sink = new ScriptedSink();
    const { lane } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    lane.offer(cm('add', 'a', 2, 'u-a2'));
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'delete:a:full', 'add:a:full']);
    await lane.close();
  });
});

describe('deltaUpdates in a lane: the resend answer', () => {
  it('sends the named patches again whole at once, and counts the other items delivered', async () => {
    let answered = false;
    const sink = new ScriptedSink('scripted', ({ batch }) => {
      if (answered || !batch.items.some((c) => c.delta?.form === 'patch')) return delivered();
      answered = true;
      return resend(
        batch.items.flatMap((c, i) => (c.name === 'b' ? [i] : [])),
        new Error('receiver lacks the base of 1 item'),
      );
    });
    const { lane, cache, rec } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    lane.offer(cm('add', 'a', 1));
    lane.offer(cm('add', 'b', 1));
    await vi.advanceTimersByTimeAsync(10);
    const newB = cm('update', 'b', 2);
    lane.offer(cm('update', 'a', 2));
    lane.offer(newB);
    await vi.advanceTimersByTimeAsync(10);
    expect(forms(sink)).toEqual(['add:a:full', 'add:b:full', 'update:a:patch', 'update:b:patch', 'update:b:full']);
    // No backoff: the whole object went at once, not after a retry delay.
    expect(rec.retries).toEqual([]);
    expect(cache.get('configmaps|ns/b')?.fingerprint).toBe(newB.fingerprint);
    expect(lane.stats()).toMatchObject({ delivered: 4, queued: 0, inFlight: 0 });
    // The whole re-send is another request: another idempotency key.
    const [patchBatch, wholeBatch] = sink.calls.slice(-2).map((c) => c.batch);
    expect(wholeBatch?.id).not.toBe(patchBatch?.id);
    // The next update of b patches from the whole state now delivered.
    lane.offer(cm('update', 'b', 3));
    await vi.advanceTimersByTimeAsync(10);
    expect(lastItem(sink).delta).toMatchObject({ form: 'patch', baseFingerprint: newB.fingerprint });
    await lane.close();
  });

  it('a resend answer naming a whole object is retried after a backoff (no missing base explains it)', async () => {
    let answers = 0;
    const sink = new ScriptedSink('scripted', () => (answers++ < 1 ? resend([0], new Error('lacks base')) : delivered()));
    const { lane, rec } = makeLane(sink, { emitIntervalMs: 0, deltaUpdates: true });
    lane.offer(cm('add', 'a', 1));
    await vi.advanceTimersByTimeAsync(10);
    expect(rec.retries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(forms(sink)).toEqual(['add:a:full', 'add:a:full']);
    expect(lane.stats()).toMatchObject({ delivered: 1, queued: 0, inFlight: 0 });
    await lane.close();
  });
});
