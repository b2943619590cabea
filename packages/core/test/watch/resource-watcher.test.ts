import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/types.js';
import { createResourceWatcher } from '../../src/watch/resource-watcher.js';
import type { ResourceWatcher, ResourceWatcherOptions } from '../../src/watch/resource-watcher.js';
import type { ResolvedResource, WatchEvent } from '../../src/watch/watch-event.js';
import { FakeApiserver } from './fake-apiserver.js';
import { waitFor } from '@watch-proxy/test-support';

const configmaps: ResolvedResource = {
  name: 'configmaps',
  ref: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
};

interface Recorded {
  readonly type: WatchEvent['type'];
  readonly name: string;
  readonly uid: string;
  readonly synthesized: WatchEvent['synthesized'];
  readonly resync: boolean;
}

function describeEvent(e: WatchEvent): Recorded {
  const m = e.object['metadata'] as { name: string; uid: string };
  return { type: e.type, name: m.name, uid: m.uid, synthesized: e.synthesized, resync: e.resync === true };
}

// Short timeouts keep the tests fast; the logic does not depend on the values.
const fast = { backoff: { baseMs: 5, capMs: 20, degradedCapMs: 50 }, connectTimeoutMs: 2_000, watchTimeoutSeconds: [30, 30] as const };

// The watchdog tests run on fake timers: a bound fires when the test moves the clock past it, never by waiting.
// setImmediate stays real, so sockets and waitFor's polling keep running.
const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] } as Parameters<typeof vi.useFakeTimers>[0];

/**
 * Waits (real time, with a deadline) for `check`, moving the fake clock over each backoff delay the watcher sleeps.
 * Only while it sleeps: then no request is in flight, so no watchdog can fire early.
 */
async function waitThroughBackoff(w: ResourceWatcher, check: () => boolean, what: string): Promise<void> {
  await waitFor(
    async () => {
      if (check()) return true;
      const due = w.health().scopes.find((s) => s.nextAttemptAt !== undefined)?.nextAttemptAt;
      if (due !== undefined) await vi.advanceTimersByTimeAsync(Math.max(1, due - Date.now()));
      return check();
    },
    what,
    5_000,
    5,
  );
}

describe('createResourceWatcher against a fake apiserver', () => {
  let server: FakeApiserver;
  let watcher: ResourceWatcher | undefined;
  let events: Recorded[];
  let synced: KubeObject[][];

  beforeEach(async () => {
    server = new FakeApiserver();
    await server.listen();
    events = [];
    synced = [];
  });

  afterEach(async () => {
    vi.useRealTimers();
    await watcher?.stop();
    watcher = undefined;
    await server.close();
  });

  function start(extra: Partial<ResourceWatcherOptions> = {}): ResourceWatcher {
    watcher = createResourceWatcher({
      kubeConfig: server.kubeConfig(),
      resource: configmaps,
      handlers: {
        onEvent: (_r, e) => events.push(describeEvent(e)),
        onSynced: (_r, objects) => synced.push([...objects]),
      },
      // Most tests here pin the paginated list; the streaming list (the default) has its own tests.
      streamingList: false,
      ...fast,
      ...extra,
    });
    return watcher;
  }

  const lists = (): number => server.requests.filter((r) => r.kind === 'list').length;
  const watches = (): { kind: string; url: URL }[] => server.requests.filter((r) => r.kind === 'watch');

  it('lists in pages of pageSize and is synced only after the last page', async () => {
    for (let i = 0; i < 25; i++) server.put('a', `cm-${String(i).padStart(2, '0')}`);
    const w = start({ pageSize: 10 });
    let syncedBefore = true;
    server.fault((_req, _res, url) => {
      // Runs while the last page is requested: the watcher must not claim to be synced yet.
      if (url.searchParams.has('continue') && lists() === 3) syncedBefore = w.health().synced;
      return false;
    }, false);
    await w.start();
    const listUrls = server.requests.filter((r) => r.kind === 'list').map((r) => r.url);
    expect(listUrls).toHaveLength(3);
    expect(listUrls.map((u) => u.searchParams.get('limit'))).toEqual(['10', '10', '10']);
    expect(listUrls[0]!.searchParams.has('resourceVersion')).toBe(false);
    expect(syncedBefore).toBe(false);
    expect(w.health()).toMatchObject({ synced: true, objects: 25 });
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 3, objects: 25 });
    expect(events.filter((e) => e.type === 'add')).toHaveLength(25);
    expect(synced).toHaveLength(1);
    expect(synced[0]).toHaveLength(25);
    await waitFor(() => w.health().state === 'watching', 'the watch');
    expect(watches()).toHaveLength(1);
    const wurl = watches()[0]!.url;
    expect(wurl.searchParams.get('resourceVersion')).toBe(server.resourceVersion);
    expect(wurl.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(wurl.searchParams.get('timeoutSeconds')).toBe('30');
  });

  /** Answers the first page (no continue token) with its head and first item only, then calls `rest(res)`. */
  function firstPageInHalves(rest: (res: ServerResponse, body: string) => void): void {
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') === '1' || url.searchParams.has('continue')) return false;
      const objects = ['cm-0', 'cm-1'].map((name) => server.put('a', name, {}, { silent: true }));
      const token = Buffer.from(JSON.stringify({ start: 2, rv: server.resourceVersion })).toString('base64');
      const body = JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: server.resourceVersion, continue: token }, items: objects });
      res.writeHead(200, { 'content-type': 'application/json' });
      const cut = body.indexOf('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-1"');
      res.write(body.slice(0, cut));
      rest(res, body.slice(cut));
      return true;
    });
  }

  it('requests the next page as soon as the continue token shows, while this page is still arriving', async () => {
    for (const name of ['cm-0', 'cm-1', 'cm-2']) server.put('a', name);
    let nextRequestedEarly = false;
    firstPageInHalves((res, rest) => {
      // The rest of page 1 is only sent once page 2 was asked for: without the early request this page stalls
      // until the list watchdog fires.
      void waitFor(() => server.requests.some((r) => r.url.searchParams.has('continue')), 'the early request', 5_000).then(() => {
        nextRequestedEarly = true;
        res.end(rest);
      });
    });
    const w = start({ pageSize: 2, listPageTimeoutMs: 2_000 });
    await w.start();
    expect(nextRequestedEarly).toBe(true);
    expect(w.health().scopes[0]!.watchdogAborts.list).toBe(0);
    expect(server.requests.filter((r) => r.kind === 'list').map((r) => r.url.searchParams.has('continue'))).toEqual([false, true]);
    expect([...w.cache.keys()].sort()).toEqual(['a/cm-0', 'a/cm-1', 'a/cm-2']);
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 2, objects: 3 });
  });

  it('a page that fails drops the page requested early and lists again from the start; stop() leaves no connection', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    for (const name of ['cm-0', 'cm-1', 'cm-2']) server.put('a', name);
    firstPageInHalves(() => {}); // the rest never comes: the list watchdog fires
    const w = start({ pageSize: 2, listPageTimeoutMs: 300 });
    const started = w.start();
    await waitFor(() => server.requests.some((r) => r.url.searchParams.has('continue')), 'the early request');
    await vi.advanceTimersByTimeAsync(299);
    expect(w.health().scopes[0]!.watchdogAborts.list).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await waitThroughBackoff(w, () => w.health().synced, 'the list again');
    await started;
    expect(w.health().scopes[0]!.watchdogAborts.list).toBe(1);
    // Page 1 stalled, page 2 (requested early) dropped, then a whole new list of two pages.
    expect(server.requests.filter((r) => r.kind === 'list').map((r) => r.url.searchParams.has('continue'))).toEqual([false, true, false, true]);
    expect([...w.cache.keys()].sort()).toEqual(['a/cm-0', 'a/cm-1', 'a/cm-2']);
    expect(events.filter((e) => e.type === 'add')).toHaveLength(3);
    await w.stop();
    await waitFor(async () => (await server.connections()) === 0, 'every connection closed', 5_000, 10);
  });

  it('stop() during a list with the next page requested early ends both requests and hands nothing out', async () => {
    for (const name of ['cm-0', 'cm-1', 'cm-2']) server.put('a', name);
    firstPageInHalves(() => {});
    server.fault((_req, _res, url) => url.searchParams.has('continue')); // page 2 hangs before its headers
    const w = start({ pageSize: 2 });
    void w.start();
    await waitFor(() => server.requests.some((r) => r.url.searchParams.has('continue')), 'the early request');
    await w.stop();
    expect(events).toEqual([]);
    expect(w.health().state).toBe('stopped');
    await waitFor(async () => (await server.connections()) === 0, 'every connection closed', 5_000, 10);
  });

  it('the pages of a list share keep-alive connections, all closed once the list is done', async () => {
    for (let i = 0; i < 25; i++) server.put('a', `cm-${String(i).padStart(2, '0')}`);
    const w = start({ pageSize: 5 });
    await w.start();
    await waitFor(() => w.health().state === 'watching' && server.openWatches === 1, 'the watch');
    expect(server.requests.filter((r) => r.kind === 'list')).toHaveLength(5);
    // One connection per page would be 5 (plus the watch's); the next page requested early needs a second one.
    expect(server.connectionsAccepted).toBeLessThanOrEqual(3);
    await waitFor(async () => (await server.connections()) === 1, 'only the watch connection left', 5_000, 10);
    expect(w.cache.size).toBe(25);
  });

  it('sends the same label and field selectors with the list and the watch', async () => {
    const w = start({ labelSelector: 'app=web,tier!=db', fieldSelector: 'metadata.name!=x' });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    for (const r of server.requests.filter((q) => q.kind !== 'other')) {
      expect(r.url.searchParams.get('labelSelector')).toBe('app=web,tier!=db');
      expect(r.url.searchParams.get('fieldSelector')).toBe('metadata.name!=x');
    }
    expect(server.requests.map((r) => r.kind)).toEqual(['list', 'watch']);
  });

  it('falls back to one unpaginated list when the continue token expired', async () => {
    for (let i = 0; i < 15; i++) server.put('a', `cm-${i}`);
    server.fault((_req, res, url) => {
      if (!url.searchParams.has('continue')) return false;
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'The provided continue parameter is too old' }));
      return true;
    });
    const w = start({ pageSize: 10 });
    await w.start();
    const listUrls = server.requests.filter((r) => r.kind === 'list').map((r) => r.url);
    expect(listUrls.map((u) => [u.searchParams.get('limit'), u.searchParams.has('continue')])).toEqual([
      ['10', false],
      ['10', true],
      [null, false],
    ]);
    expect(events.filter((e) => e.type === 'add')).toHaveLength(15);
    expect(w.cache.size).toBe(15);
    expect(w.health().failures).toBe(0);
  });

  it('turns watch events into add, update and delete, advancing the resourceVersion', async () => {
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    server.put('a', 'x', { v: '1' });
    server.put('a', 'x', { v: '2' });
    server.remove('a', 'x');
    await waitFor(() => events.length === 3, 'three events');
    expect(events.map((e) => e.type)).toEqual(['add', 'update', 'delete']);
    expect(events[2]!.synthesized).toBeUndefined();
    expect(w.health().resourceVersion).toBe(server.resourceVersion);
    expect(w.health().state).toBe('watching');
    expect(w.cache.size).toBe(0);
  });

  it('re-watches from the last complete event when a line is cut off, without relisting or losing events', async () => {
    server.put('a', 'before');
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') !== '1') return false;
      const first = server.put('a', 'one', {}, { silent: true });
      // The history keeps both events for the re-watch; this response delivers one and a half of them.
      server.put('a', 'two');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: first })}\n{"type":"ADDED","object":{"metadata":{"na`);
      res.end();
      return true;
    });
    const w = start();
    await w.start();
    await waitFor(() => events.some((e) => e.name === 'two'), 'the event after the cut');
    expect(lists()).toBe(1);
    expect(events.map((e) => `${e.type}:${e.name}`)).toEqual(['add:before', 'add:one', 'add:two']);
    expect(w.health().lastError?.message).toMatch(/middle of an event/);
    expect(w.health().relists).toBe(0);
  });

  it('never quotes a malformed watch line in its error (a Secret watch carries Secret data, and the error is logged)', async () => {
    server.put('a', 'before');
    let served = false;
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') !== '1' || served) return false;
      served = true;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"s"},"data":{"password":hunter2-secret}}}\n');
      res.end();
      return true;
    });
    const w = start();
    await w.start();
    await waitFor(() => w.health().lastError !== undefined, 'the malformed line reported');
    expect(w.health().lastError?.message).toMatch(/malformed watch event/);
    expect(w.health().lastError?.message).not.toContain('hunter2');
    expect(JSON.stringify(w.health().lastError)).not.toContain('hunter2');
  });

  it('aborts a watch that hangs before its headers (connect watchdog) and resumes', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    server.fault((_req, _res, url) => url.searchParams.get('watch') === '1'); // never answers
    const w = start({ connectTimeoutMs: 100 });
    await w.start();
    await waitFor(() => watches().length === 1, 'the hanging watch');
    await vi.advanceTimersByTimeAsync(99);
    expect(w.health().scopes[0]!.watchdogAborts.connect).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    // The server counts the watch as open before the client has its headers: wait for the client's side too.
    await waitThroughBackoff(w, () => server.openWatches === 1 && w.health().state === 'watching', 'a second watch, established');
    expect(w.health().scopes[0]!.watchdogAborts.connect).toBe(1);
    server.put('a', 'after');
    await waitFor(() => events.length === 1, 'the event');
  });

  it('aborts a watch still open past its timeoutSeconds plus deadlineGraceMs (deadline watchdog) and re-watches', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    server.put('a', 'x');
    const w = start({ watchTimeoutSeconds: [1, 1], deadlineGraceMs: 500 });
    await w.start();
    // The fake apiserver ignores timeoutSeconds: the stream stays open until the watcher gives up on it.
    await waitFor(() => w.health().state === 'watching', 'the watch established');
    const deadlineAborts = (): number => w.health().scopes[0]!.watchdogAborts.deadline;
    await vi.advanceTimersByTimeAsync(1_499);
    expect(deadlineAborts()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await waitFor(() => deadlineAborts() === 1, 'the deadline watchdog');
    expect(w.health().lastError?.message).toMatch(/watch outlived its timeoutSeconds \(1500 ms\)/);
    await waitThroughBackoff(w, () => watches().length === 2 && w.health().state === 'watching', 'the re-watch');
    expect(watches()[1]!.url.searchParams.get('resourceVersion')).toBe(watches()[0]!.url.searchParams.get('resourceVersion'));
    expect(lists()).toBe(1);
  });

  it('takes time and randomness from its clock option: the timeoutSeconds draw and every health timestamp', async () => {
    let now = 1_000_000;
    const draws = [0, 0.999];
    const w = start({ watchTimeoutSeconds: [30, 90], clock: { now: () => now, random: () => draws.shift() ?? 0.5 } });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    expect(watches()[0]!.url.searchParams.get('timeoutSeconds')).toBe('30');
    expect(w.health()).toMatchObject({ lastListAt: 1_000_000 });
    expect(w.health().scopes[0]!.lastList).toMatchObject({ durationMs: 0 });
    now = 2_000_000;
    server.put('a', 'x');
    await waitFor(() => events.length === 1, 'the event');
    expect(w.health().lastEventAt).toBe(2_000_000);
    server.endWatches();
    await waitFor(() => watches().length === 2, 'the re-watch');
    expect(watches()[1]!.url.searchParams.get('timeoutSeconds')).toBe('90');
  });

  it('draws its backoff jitter from the clock option unless backoff.random is given', async () => {
    server.deny = { code: 503 };
    const w = start({ backoff: { baseMs: 1_000, capMs: 60_000 }, clock: { now: () => 5_000, random: () => 0.5 } });
    void w.start();
    await waitFor(() => w.health().scopes[0]!.nextAttemptAt !== undefined, 'the first failure');
    // random 0.5 makes the jitter factor exactly 1: the first delay is baseMs.
    expect(w.health().scopes[0]!.nextAttemptAt).toBe(6_000);
    expect(w.health().lastError).toMatchObject({ kind: 'server', at: 5_000 });
  });

  it('aborts a list page that stalls mid-body (list watchdog) and lists again', async () => {
    server.put('a', 'x');
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') === '1') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"ConfigMapList","metadata":{"resourceVersion":"1"},"items":[{"metadata":'); // then nothing
      return true;
    });
    vi.useFakeTimers(FAKE_TIMERS);
    const w = start({ listPageTimeoutMs: 150 });
    const started = w.start();
    await waitFor(() => lists() === 1, 'the list request');
    await vi.advanceTimersByTimeAsync(150);
    await waitThroughBackoff(w, () => w.health().synced, 'the second list');
    await started;
    expect(w.health().scopes[0]!.watchdogAborts.list).toBe(1);
    expect(lists()).toBe(2);
    expect([...w.cache.keys()]).toEqual(['a/x']);
  });

  it('aborts a stream silent past idleTimeoutMs once bookmarks were seen, resuming from the bookmark', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const w = start({ idleTimeoutMs: 150 });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    server.put('b', 'unrelated', {}, { silent: true }); // moves the resourceVersion without an event
    server.bookmark();
    // The silence bound restarts with the chunk that carried the bookmark.
    await waitFor(() => w.health().lastBookmarkAt !== undefined, 'the bookmark');
    await vi.advanceTimersByTimeAsync(149);
    expect(w.health().scopes[0]!.watchdogAborts.idle).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await waitFor(() => w.health().scopes[0]!.watchdogAborts.idle === 1, 'the idle watchdog');
    await waitThroughBackoff(w, () => watches().length === 2, 'the re-watch');
    expect(watches()[1]!.url.searchParams.get('resourceVersion')).toBe(server.resourceVersion);
    expect(lists()).toBe(1);
    expect(w.health().lastBookmarkAt).toBeTypeOf('number');
  });

  it('aborts a stream silent from the moment it opens (no bookmark ever), reports it, and re-watches without a relist', async () => {
    server.put('a', 'x');
    const errors: string[] = [];
    vi.useFakeTimers(FAKE_TIMERS);
    const w = start({ idleTimeoutMs: 150, onError: (e) => errors.push(`${e.kind}/${e.watchdog ?? ''}`) });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    const rv = watches()[0]!.url.searchParams.get('resourceVersion');
    // The silence bound runs from the moment the headers arrived (the stream is established).
    await waitFor(() => w.health().state === 'watching', 'the watch established');
    await vi.advanceTimersByTimeAsync(150);
    await waitFor(() => w.health().scopes[0]!.watchdogAborts.idle === 1, 'the idle watchdog on a stream that never sent a bookmark');
    await waitThroughBackoff(w, () => watches().length === 2, 'the re-watch');
    expect(watches()[1]!.url.searchParams.get('resourceVersion')).toBe(rv);
    expect(lists()).toBe(1);
    expect(errors[0]).toBe('watchdog/idle');
    expect(w.health().lastError?.kind).toBe('watchdog');
  });

  it('a resync period of 30 days waits 30 days (a Node interval that long would replay the cache every millisecond)', async () => {
    server.put('a', 'x');
    const w = start({ resyncMs: 30 * 24 * 3600 * 1000 });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    // Some milliseconds of real time pass while a watched change makes its way here.
    server.put('a', 'y');
    await waitFor(() => events.some((e) => e.name === 'y'), 'the watched change');
    await waitFor(() => server.openWatches === 1 && events.length >= 2, 'events so far');
    expect(events.filter((e) => e.resync)).toEqual([]);
  });

  it('relists on 410 and reports exactly what changed while disconnected', async () => {
    for (const n of ['gone', 'changed', 'same', 'recreated']) server.put('a', n);
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    const uidBefore = events.find((e) => e.name === 'recreated')!.uid;
    events.length = 0;
    // Refuse watches for a moment, change things behind the watcher's back, then compact the history.
    server.fault((_req, res) => (res.destroy(), true), false);
    server.endWatches();
    server.remove('a', 'gone', { silent: true });
    server.put('a', 'changed', { v: '2' }, { silent: true });
    server.put('a', 'recreated', {}, { silent: true, recreate: true });
    server.put('a', 'new', {}, { silent: true });
    server.compact();
    server.faults.length = 0;
    await waitFor(() => lists() === 2 && w.health().state === 'watching', 'the relist');
    const byName = (n: string): string[] => events.filter((e) => e.name === n).map((e) => `${e.type}${e.synthesized ? `(${e.synthesized})` : ''}`);
    expect(byName('gone')).toEqual(['delete(relist)']);
    expect(byName('changed')).toEqual(['update']);
    expect(byName('same')).toEqual([]);
    expect(byName('new')).toEqual(['add']);
    expect(byName('recreated')).toEqual(['delete(recreated)', 'add']);
    expect(events.find((e) => e.synthesized === 'recreated')!.uid).toBe(uidBefore);
    expect(w.health().relists).toBe(1);
    expect(synced).toHaveLength(2);
    expect(synced[1]!.map((o) => (o['metadata'] as { name: string }).name).sort()).toEqual(['changed', 'new', 'recreated', 'same']);
    expect([...w.cache.keys()].sort()).toEqual(['a/changed', 'a/new', 'a/recreated', 'a/same']);
  });

  it('is degraded on 403 (start resolves), keeps retrying, and recovers by itself', async () => {
    server.deny = { code: 403 };
    const errors: string[] = [];
    const w = start({ onError: (e) => errors.push(`${e.kind}:${e.status}`) });
    await w.start();
    expect(w.health()).toMatchObject({ state: 'degraded', synced: false, lastError: { kind: 'forbidden', status: 403, code: 'WP_ERR_WATCH_FORBIDDEN' } });
    await waitFor(() => errors.length >= 2, 'a retry');
    server.deny = undefined;
    server.put('a', 'x');
    await waitFor(() => w.health().state === 'watching', 'recovery');
    expect(w.health()).toMatchObject({ synced: true, objects: 1, lastError: undefined });
    expect(errors[0]).toBe('forbidden:403');
  });

  it('isolates a throwing handler: later events still arrive', async () => {
    server.put('a', 'one');
    server.put('a', 'two');
    let calls = 0;
    const w = createResourceWatcher({
      kubeConfig: server.kubeConfig(),
      resource: configmaps,
      handlers: {
        onEvent: () => {
          calls++;
          if (calls === 1) throw new Error('boom');
        },
      },
      ...fast,
    });
    watcher = w;
    await w.start();
    expect(calls).toBe(2);
    expect(w.health().handlerErrors).toBe(1);
    expect(w.health().state).not.toBe('stopped');
  });

  it('resync() hands every unchanged object out whole, as an update with resync: true, from one list request', async () => {
    server.put('a', 'one', { k: 'v' });
    const seen: WatchEvent[] = [];
    const w = start({ handlers: { onEvent: (_r, e) => seen.push(e) } });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    seen.length = 0;
    w.resync();
    await waitFor(() => lists() === 2 && server.openWatches === 1 && w.health().relists === 1, 'the resync list');
    expect(seen).toEqual([{ type: 'update', resync: true, object: expect.objectContaining({ data: { k: 'v' } }) }]);
  });

  it('resync() reports what changed since the last list like a relist, and hands the rest out as resync updates', async () => {
    server.put('a', 'one', { k: 'v' });
    server.put('b', 'two');
    server.put('b', 'gone');
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    events.length = 0;
    server.put('b', 'two', { k: '2' }, { silent: true });
    server.remove('b', 'gone', { silent: true });
    w.resync();
    await waitFor(() => lists() === 2 && server.openWatches === 1 && w.health().relists === 1, 'the resync list');
    expect(events).toEqual([
      expect.objectContaining({ type: 'update', name: 'one', resync: true }),
      expect.objectContaining({ type: 'delete', name: 'gone', synthesized: 'relist', resync: false }),
      expect.objectContaining({ type: 'update', name: 'two', resync: false }),
    ]);
    // Only one list per resync: the next relist reports differences only.
    events.length = 0;
    w.relist();
    await waitFor(() => lists() === 3 && server.openWatches === 1 && w.health().relists === 2, 'a plain relist');
    expect(events).toEqual([]);
  });

  it('watches one namespace per scope and reports onSynced once with every object', async () => {
    server.put('a', 'in-a');
    server.put('b', 'in-b');
    server.put('c', 'in-c');
    const w = start({ namespaces: ['a', 'b'] });
    await w.start();
    expect([...w.cache.keys()].sort()).toEqual(['a/in-a', 'b/in-b']);
    expect(synced).toHaveLength(1);
    expect(synced[0]).toHaveLength(2);
    expect(w.health().scopes.map((s) => s.namespace)).toEqual(['a', 'b']);
    expect(server.requests.filter((r) => r.kind === 'list').map((r) => r.url.pathname).sort()).toEqual([
      '/api/v1/namespaces/a/configmaps',
      '/api/v1/namespaces/b/configmaps',
    ]);
  });

  it('delivers nothing after stop() and leaves no connection open', async () => {
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    server.put('a', 'x');
    await waitFor(() => events.length === 1, 'the first event');
    const stopping = w.stop();
    server.put('a', 'y');
    await stopping;
    server.put('a', 'z');
    expect(events).toHaveLength(1);
    expect(w.health().state).toBe('stopped');
    await waitFor(() => server.openWatches === 0, 'the server to see the watch closed');
    expect(await server.connections()).toBe(0);
  });

  it('treats a watch that closes at once without events as a failure, backing off', async () => {
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') !== '1') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return true;
    }, false);
    const w = start();
    await w.start();
    await waitFor(() => w.health().failures >= 3, 'several short watches');
    expect(w.health().lastError?.message).toMatch(/closed immediately/);
    expect(lists()).toBe(1);
  });

  it('on 504 ResourceVersionTooLarge backs off and relists instead of retrying the version', async () => {
    server.put('a', 'x');
    server.fault((_req, res, url) => {
      if (url.searchParams.get('watch') !== '1') return false;
      res.writeHead(504, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 504, reason: 'Timeout', message: 'Too large resource version', details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] } }));
      return true;
    });
    const errors: string[] = [];
    const w = start({ onError: (e) => errors.push(e.kind) });
    await w.start();
    await waitFor(() => lists() === 2 && server.openWatches === 1, 'the relist and a new watch');
    expect(errors).toEqual(['too-large']);
    expect(w.health().relists).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['add']); // the relist found nothing new
  });

  it('relist() reconciles against the server: one list, events only for differences', async () => {
    server.put('a', 'same');
    server.put('a', 'changed');
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    events.length = 0;
    server.put('a', 'changed', { v: '2' }, { silent: true }); // a change the watch never reported
    w.relist();
    await waitFor(() => lists() === 2 && server.openWatches === 1, 'the reconcile');
    expect(events).toEqual([expect.objectContaining({ type: 'update', name: 'changed' })]);
    expect(w.health()).toMatchObject({ relists: 1, failures: 0 });
  });

  it('turns stale when no watch has been open for staleAfterMs, and fresh again once it is', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    server.deny = { code: 503 };
    const w = start({ staleAfterMs: 100 });
    void w.start();
    await waitFor(() => w.health().failures >= 1, 'a failure');
    expect(w.health().synced).toBe(false);
    expect(w.health().stale).toBe(false);
    await vi.advanceTimersByTimeAsync(101);
    await waitFor(() => w.health().stale, 'stale');
    server.deny = undefined;
    await waitThroughBackoff(w, () => server.openWatches === 1 && !w.health().stale, 'an established watch');
    expect(w.health()).toMatchObject({ state: 'watching', synced: true });
  });

  it('on 401 applies credentials afresh on every attempt (a rotated token is picked up without a restart)', async () => {
    server.requiredToken = 'rotated';
    let token = 'expired';
    const kc = new KubeConfig();
    // A custom authenticator stands in for a token file or exec plugin whose token changes over time.
    kc.addAuthenticator({
      isAuthProvider: (user) => user.name === 'rotating',
      applyAuthentication: async (_user, opts) => {
        opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
      },
    });
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'rotating' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'rotating' }],
      currentContext: 'c',
    });
    const errors: string[] = [];
    const w = start({ kubeConfig: kc, onError: (e) => errors.push(`${e.kind}:${e.status}`) });
    void w.start();
    await waitFor(() => errors.length >= 2, 'rejected attempts');
    // Backing off, or already in its next (failing) attempt: the retry delays here are 5-20 ms.
    expect(w.health()).toMatchObject({ synced: false, lastError: { kind: 'unauthorized', status: 401 } });
    expect(w.health().state).not.toBe('watching');
    token = 'rotated';
    await waitFor(() => w.health().state === 'watching', 'recovery with the new token');
    expect(errors.every((e) => e === 'unauthorized:401')).toBe(true);
  });

  it('leaks no file descriptors or connections across 300 reconnects', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    const before = fds();
    for (let i = 0; i < 300; i++) {
      server.put('a', `cm-${i % 5}`); // keeps every watch from being a 'very short' one
      await waitFor(() => server.openWatches === 1, 'the watch');
      server.endWatches();
    }
    // The server counts a watch as open before the watcher has its headers (and counts the reconnect).
    await waitFor(() => server.openWatches === 1 && w.health().reconnects >= 300, 'the last watch');
    expect(w.health().reconnects).toBeGreaterThanOrEqual(300);
    expect(w.health().failures).toBe(0);
    // One socket for the open watch at most; a leak would show up as hundreds.
    expect(fds() - before).toBeLessThanOrEqual(2);
    expect(await server.connections()).toBe(1);
  }, 15_000); // 300 round trips: on a loaded machine this outlasts the 5 s default

  it('turns stale while watch attempts never get past the headers, though each attempt is "watching"', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const w = start({ connectTimeoutMs: 30, staleAfterMs: 300 });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    expect(w.health().stale).toBe(false);
    server.fault((_req, _res, url) => url.searchParams.get('watch') === '1', false); // hang every watch
    const before = watches().length;
    server.endWatches();
    // Each attempt hangs at the server until its connect watchdog fires; the watcher backs off and tries again.
    let n = 0;
    while (!w.health().stale) {
      n++;
      await waitThroughBackoff(w, () => watches().length === before + n, `hung attempt ${String(n)}`);
      await vi.advanceTimersByTimeAsync(30);
      await waitFor(() => w.health().scopes[0]!.watchdogAborts.connect === n, `connect watchdog ${String(n)}`);
    }
    expect(w.health().scopes[0]!.watchdogAborts.connect).toBeGreaterThanOrEqual(2);
    await waitFor(() => w.health().stale, 'stale', 5_000);
    // The attempt after the last timeout hangs too; once the server answers again, the one after it gets through.
    await waitThroughBackoff(w, () => watches().length === before + n + 1, 'the next hung attempt');
    server.faults.length = 0;
    await vi.advanceTimersByTimeAsync(30);
    await waitThroughBackoff(w, () => server.openWatches === 1 && !w.health().stale, 'fresh again');
  });

  it('streamingList: lists and watches on one stream (sendInitialEvents), with no list request', async () => {
    server.put('a', 'one');
    server.put('b', 'two');
    const w = start({ streamingList: true });
    await w.start();
    expect(lists()).toBe(0);
    expect(watches()).toHaveLength(1);
    const q = watches()[0]!.url.searchParams;
    expect([q.get('sendInitialEvents'), q.get('resourceVersionMatch'), q.has('resourceVersion')]).toEqual(['true', 'NotOlderThan', false]);
    expect(w.health()).toMatchObject({ synced: true, objects: 2, state: 'watching', resourceVersion: server.resourceVersion });
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 0, objects: 2 });
    expect(synced).toHaveLength(1);
    server.put('a', 'three');
    await waitFor(() => events.length === 3, 'an event on the same stream');
    expect(watches()).toHaveLength(1);
    expect(events.map((e) => `${e.type}:${e.name}`)).toEqual(['add:one', 'add:two', 'add:three']);
    // A later re-watch continues from the resourceVersion, as a plain watch.
    server.endWatches();
    await waitFor(() => server.openWatches === 1, 'the re-watch');
    expect(watches()[1]!.url.searchParams.has('sendInitialEvents')).toBe(false);
  });

  // The two ways a server says it cannot serve a streaming list at all: the watch refused (the WatchList feature
  // gate off), or an in-stream error from storage that cannot (RequestWatchProgress disabled).
  const streamingRefusals: readonly { name: string; status: number; body: string }[] = [
    {
      name: 'the server refuses it',
      status: 422,
      body: JSON.stringify({ kind: 'Status', code: 422, reason: 'Invalid', message: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' }),
    },
    {
      name: 'the storage cannot serve it (in-stream error)',
      status: 200,
      body: `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'a watch stream was requested by the client but the required storage feature RequestWatchProgress is disabled' } })}\n`,
    },
  ];

  it.each(streamingRefusals)('streamingList: falls back to paginated lists for good when $name', async ({ status, body }) => {
    server.put('a', 'one');
    server.fault((_req, res, url) => {
      if (url.searchParams.get('sendInitialEvents') !== 'true') return false;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
      return true;
    }, false);
    const w = start({ streamingList: true });
    await w.start();
    expect(lists()).toBe(1);
    expect(w.health()).toMatchObject({ synced: true, objects: 1, failures: 0 });
    w.relist();
    await waitFor(() => lists() === 2, 'a relist');
    expect(watches().filter((r) => r.url.searchParams.has('sendInitialEvents'))).toHaveLength(1);
  });

  it('streamingList: a relist parses only the lines of new and changed objects, and reports exactly what changed', async () => {
    for (const n of ['gone', 'changed', 'same', 'recreated']) server.put('a', n);
    const w = start({ streamingList: true });
    await w.start();
    server.remove('a', 'gone', { silent: true });
    server.put('a', 'changed', { v: '2' }, { silent: true });
    server.put('a', 'recreated', {}, { silent: true, recreate: true });
    server.put('a', 'new', {}, { silent: true });
    events.length = 0;
    const parse = vi.spyOn(JSON, 'parse');
    let parsed: string[];
    try {
      w.relist();
      await waitFor(() => w.health().relists === 1 && w.health().state === 'watching', 'the relist');
    } finally {
      parsed = parse.mock.calls.map(([text]) => text);
      parse.mockRestore();
    }
    const parsedAdded = parsed
      .filter((text) => text.startsWith('{"type":"ADDED"'))
      .map((text) => /"name":"([^"]+)"/.exec(text)![1]);
    expect(parsedAdded.sort()).toEqual(['changed', 'new', 'recreated']);
    expect(events.map((e) => `${e.type}:${e.name}${e.synthesized ? `(${e.synthesized})` : ''}`).sort()).toEqual([
      'add:new',
      'add:recreated',
      'delete:gone(relist)',
      'delete:recreated(recreated)',
      'update:changed',
    ]);
    expect([...w.cache.keys()].sort()).toEqual(['a/changed', 'a/new', 'a/recreated', 'a/same']);
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 0, objects: 4 });
  });

  it('streamingList: a resync still parses unchanged objects and hands them out as resync updates', async () => {
    server.put('a', 'same', { k: 'v' });
    const w = start({ streamingList: true });
    await w.start();
    events.length = 0;
    // A resync replays: the skeleton kept for an unchanged object would hand out nothing at all.
    w.resync();
    await waitFor(() => events.length === 1 && w.health().state === 'watching', 'the replayed object');
    expect(events[0]).toMatchObject({ type: 'update', name: 'same', resync: true });
  });

  it('streamingList is the default: without the option the first list is a streaming one', async () => {
    server.put('a', 'one');
    const w = start({ streamingList: undefined });
    await w.start();
    expect(lists()).toBe(0);
    expect(watches()[0]!.url.searchParams.get('sendInitialEvents')).toBe('true');
    expect(w.health().scopes[0]!.lastList).toMatchObject({ pages: 0, objects: 1 });
  });

  it('streamingList: falls back when the server treats it as a plain watch (no initial-events-end bookmark)', async () => {
    server.put('a', 'one');
    server.fault((_req, res, url) => {
      if (url.searchParams.get('sendInitialEvents') !== 'true') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      const obj = server.put('a', 'one', { v: '2' }, { silent: true });
      res.write(`${JSON.stringify({ type: 'ADDED', object: obj })}\n${JSON.stringify({ type: 'MODIFIED', object: obj })}\n`);
      return true;
    });
    const w = start({ streamingList: true });
    await w.start();
    expect(lists()).toBe(1);
    expect(events.map((e) => `${e.type}:${e.name}`)).toEqual(['add:one']);
    expect(w.health()).toMatchObject({ synced: true, failures: 0 });
  });

  it('dropManagedFields: no object from the list, the watch or a delete carries managedFields; other metadata is kept', async () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }];
    server.put('a', 'listed', { k: 'v' }, { managedFields });
    const seen: KubeObject[] = [];
    const w = start({ dropManagedFields: true, handlers: { onEvent: (_r, e) => seen.push(e.object) } });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    server.put('a', 'watched', {}, { managedFields });
    server.put('a', 'listed', { k: 'v2' }, { managedFields });
    server.remove('a', 'watched');
    await waitFor(() => seen.length === 4, 'add, add, update, delete');
    for (const object of seen) {
      const metadata = object['metadata'] as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('managedFields');
      expect(metadata).toMatchObject({ namespace: 'a', uid: expect.any(String), resourceVersion: expect.any(String) });
    }
    expect(seen[2]).toMatchObject({ data: { k: 'v2' } });
  });

  it('keeps managedFields by default (objects as the apiserver sent them)', async () => {
    server.put('a', 'listed', {}, { managedFields: [{ manager: 'kubectl' }] });
    const seen: KubeObject[] = [];
    const w = start({ handlers: { onEvent: (_r, e) => seen.push(e.object) } });
    await w.start();
    expect(seen[0]).toMatchObject({ metadata: { managedFields: [{ manager: 'kubectl' }] } });
  });

  it('a relist reports only what changed; the cache keeps its skeleton of unchanged objects and takes a new one of changed objects', async () => {
    server.put('a', 'same');
    server.put('a', 'changed');
    const w = start({ dropManagedFields: true });
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    const same = w.cache.get('a/same');
    const changed = w.cache.get('a/changed');
    events.length = 0;
    server.put('a', 'changed', { v: '2' }, { silent: true });
    w.relist();
    await waitFor(() => lists() === 2 && server.openWatches === 1, 'the relist');
    expect(w.cache.get('a/same')).toBe(same);
    expect(w.cache.get('a/changed')).not.toBe(changed);
    expect(w.cache.get('a/changed')).toEqual({ metadata: { name: 'changed', namespace: 'a', uid: expect.any(String), resourceVersion: server.resourceVersion } });
    expect(events.map((e) => `${e.type}:${e.name}`)).toEqual(['update:changed']);
    expect(synced.at(-1)!.map((o) => (o['metadata'] as { name: string }).name).sort()).toEqual(['changed', 'same']);
  });

  it('hands each new or changed listed object to onListItem as its page is read, before any event of the list', async () => {
    for (let i = 0; i < 25; i++) server.put('a', `cm-${String(i).padStart(2, '0')}`);
    const order: string[] = [];
    const nameOf = (o: KubeObject): string => (o['metadata'] as { name: string }).name;
    const w = start({
      pageSize: 10,
      handlers: { onEvent: (_r, e) => order.push(`event ${nameOf(e.object)}`), onListItem: (_r, o) => order.push(`item ${nameOf(o)}`) },
    });
    await w.start();
    expect(order.slice(0, 25).every((s) => s.startsWith('item '))).toBe(true);
    expect(order.slice(25).every((s) => s.startsWith('event '))).toBe(true);
    expect(order).toHaveLength(50);
    await waitFor(() => server.openWatches === 1, 'the watch');
    order.length = 0;
    // A relist: only the changed object is a hint (and then an event); unchanged ones are neither.
    server.put('a', 'cm-03', { v: '2' }, { silent: true });
    w.relist();
    await waitFor(() => order.includes('event cm-03'), 'the relist event');
    expect(order).toEqual(['item cm-03', 'event cm-03']);
  });

  it('re-watches immediately from the last resourceVersion after a clean server timeout', async () => {
    const w = start();
    await w.start();
    await waitFor(() => server.openWatches === 1, 'the watch');
    server.put('a', 'x');
    await waitFor(() => events.length === 1, 'the event');
    server.endWatches();
    // The old stream may still count as open for a moment: wait for the second request itself.
    // The state stays 'watching' across a routine reconnect: the reconnect counts once the new stream's headers arrived.
    await waitFor(() => watches().length === 2 && server.openWatches === 1 && w.health().reconnects === 1, 'the re-watch');
    expect(w.health().state).toBe('watching');
    expect(watches()[1]!.url.searchParams.get('resourceVersion')).toBe(server.resourceVersion);
    expect(w.health()).toMatchObject({ reconnects: 1, failures: 0, relists: 0 });
  });
});

describe('backoff timing (fake timers)', () => {
  let server: FakeApiserver;
  let watcher: ResourceWatcher | undefined;

  beforeEach(async () => {
    server = new FakeApiserver();
    await server.listen();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await watcher?.stop();
    await server.close();
  });

  it('honours Retry-After on 429 and doubles the delay on repeated 503s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    server.deny = { code: 429, headers: { 'retry-after': '7' } };
    watcher = createResourceWatcher({
      kubeConfig: server.kubeConfig(),
      resource: configmaps,
      handlers: { onEvent: () => {} },
      streamingList: false,
      backoff: { baseMs: 1_000, capMs: 60_000, random: () => 0.5 },
    });
    const w = watcher;
    void w.start();
    const lists = (): number => server.requests.filter((r) => r.kind === 'list').length;
    await waitFor(() => w.health().state === 'backoff', 'the first failure');
    expect(lists()).toBe(1);
    // random 0.5 makes the jitter factor exactly 1, so delays are exact: base 1 s, but Retry-After says 7 s.
    expect(w.health().scopes[0]!.nextAttemptAt! - Date.now()).toBe(7_000);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(lists()).toBe(1);
    server.deny = { code: 503 };
    await vi.advanceTimersByTimeAsync(1);
    await waitFor(() => lists() === 2 && w.health().scopes[0]!.nextAttemptAt !== undefined, 'the second attempt');
    expect(w.health().scopes[0]!.nextAttemptAt! - Date.now()).toBe(2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await waitFor(() => lists() === 3 && w.health().scopes[0]!.nextAttemptAt !== undefined, 'the third attempt');
    expect(w.health().scopes[0]!.nextAttemptAt! - Date.now()).toBe(4_000);
    expect(w.health()).toMatchObject({ state: 'backoff', consecutiveFailures: 3, lastError: { kind: 'server', status: 503 } });
    server.deny = undefined;
    await vi.advanceTimersByTimeAsync(4_000);
    await waitFor(() => w.health().synced, 'recovery');
  });
});
