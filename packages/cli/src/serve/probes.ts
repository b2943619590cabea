/** What a probe answers: `ok` gives 200 `OK`, otherwise 503 with `reason` (one line, for `kubectl describe pod`). */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why not ok; `''` when ok. */
  readonly reason: string;
}

/** The part of a watcher's health the probes read. `WatcherHealth` from `@watch-proxy/core` has this shape. */
export interface ProbeWatcherHealth {
  readonly resource: string;
  /** The cluster, when the daemon watches several (`clusters:`); absent otherwise. */
  readonly cluster?: string | undefined;
  /** `degraded` means the API refuses this resource (403, 404): restarting cannot fix it, so liveness ignores it. */
  readonly state: string;
  /** True once the first complete list was processed. */
  readonly synced: boolean;
  /** True when some scope has had no open watch for the watcher's bound (`staleAfterMs`, default 5 min). */
  readonly stale: boolean;
  /** The last failure, for the reason text. */
  readonly lastError?: { readonly message: string } | undefined;
  /** Per scope: since when it has had no open watch (epoch ms; undefined while watching). */
  readonly scopes?: readonly { readonly notWatchingSince: number | undefined }[] | undefined;
}

/** A cluster whose `clusterUid` is not read yet: its batches wait (`WatchProxy.stats()`'s `clusterUid`). */
export interface ProbeIdentityWait {
  /** The cluster, with `clusters:`; absent for the daemon's own. */
  readonly cluster?: string | undefined;
  /** Why the last read failed; absent before the first answer. */
  readonly error?: string | undefined;
}

/** What the probes look at: the pipeline's state, its watchers and the clusters still without their UID. */
export interface ProbeInput {
  /** `WatchProxy.stats().state` (`idle`, `starting`, `running`, `stopping`, `stopped`, `failed`). */
  readonly state: string;
  readonly watchers: readonly ProbeWatcherHealth[];
  /** Clusters with `clusterUid` whose UID is not read yet. Default: none. */
  readonly identityWaits?: readonly ProbeIdentityWait[] | undefined;
}

/** Options of `livenessOf`. */
export interface LivenessOptions {
  /**
   * Not live when a watch has been closed for longer than this, in ms, judged from `scopes[].notWatchingSince`.
   * Default: undefined, which uses each watcher's own `stale` flag (its `staleAfterMs`, default 300,000 ms).
   */
  readonly staleAfterMs?: number | undefined;
  /** Epoch ms. Default: `Date.now()`. */
  readonly now?: number | undefined;
}

const OK: ProbeResult = Object.freeze({ ok: true, reason: '' });

/**
 * Liveness: false only when restarting the process is the right fix. That is a pipeline that `failed` (or
 * stopped while it should run), or a watch that has been closed longer than the bound although the API
 * answers (an apiserver that froze, a stuck connection). A `degraded` resource (RBAC 403, CRD missing) is
 * left to readiness, metrics and logs: a restart would not fix it and would only add a crash loop.
 * `starting` is live: the first list of a big cluster may take minutes.
 */
export function livenessOf(input: ProbeInput, options: LivenessOptions = {}): ProbeResult {
  if (input.state === 'failed') return { ok: false, reason: 'the pipeline failed' };
  if (input.state === 'stopped') return { ok: false, reason: 'the pipeline is stopped' };
  const now = options.now ?? Date.now();
  const stale: string[] = [];
  const staleClusters = new Set<string>();
  for (const w of input.watchers) {
    if (w.state === 'degraded' || w.state === 'stopped') continue;
    if (!isStale(w, options.staleAfterMs, now)) continue;
    const name = w.cluster === undefined ? w.resource : `${w.cluster}/${w.resource}`;
    stale.push(w.lastError === undefined ? name : `${name} (${w.lastError.message})`);
    if (w.cluster !== undefined) staleClusters.add(w.cluster);
  }
  if (stale.length === 0) return OK;
  // With several clusters, one that is down (unreachable, credentials revoked) degrades alone: a restart cannot
  // bring its apiserver back and would interrupt every other cluster. Only when every cluster is stale is the
  // process itself the likely cause.
  const clusters = new Set(input.watchers.flatMap((w) => (w.cluster === undefined ? [] : [w.cluster])));
  if (clusters.size > 0 && staleClusters.size < clusters.size) return OK;
  return { ok: false, reason: `no open watch for too long: ${stale.join('; ')}` };
}

function isStale(w: ProbeWatcherHealth, staleAfterMs: number | undefined, now: number): boolean {
  if (staleAfterMs === undefined) return w.stale;
  return (w.scopes ?? []).some((s) => s.notWatchingSince !== undefined && now - s.notWatchingSince > staleAfterMs);
}

/**
 * Readiness: the initial sync is done. The pipeline is `running` (its `start()` resolved) and every resource
 * finished its first complete list. A `degraded` resource is reported as not ready: it is not being watched. A
 * cluster whose `clusterUid` is not read yet is not ready either: its batches wait.
 */
export function readinessOf(input: ProbeInput, options: ReadinessOptions = {}): ProbeResult {
  if (input.state !== 'running') return { ok: false, reason: `the pipeline is ${input.state}` };
  const waiting = input.watchers.filter((w) => !w.synced || w.state === 'degraded');
  const identityWaits = input.identityWaits ?? [];
  if (waiting.length === 0 && identityWaits.length === 0) return OK;
  const label = (w: ProbeWatcherHealth): string => (w.cluster === undefined ? w.resource : `${w.cluster}/${w.resource}`);
  const names = waiting.map((w) => (w.state === 'degraded' ? `${label(w)} (degraded${w.lastError ? `: ${w.lastError.message}` : ''})` : label(w)));
  if (options.clusters === 'any') {
    const clusters = new Set(input.watchers.flatMap((w) => (w.cluster === undefined ? [] : [w.cluster])));
    const notReady = new Set([...waiting, ...identityWaits].flatMap((w) => (w.cluster === undefined ? [] : [w.cluster])));
    if ([...clusters].some((c) => !notReady.has(c))) return OK;
  }
  const reasons = names.length === 0 ? [] : [`not synced yet: ${names.join('; ')}`];
  for (const w of identityWaits) reasons.push(w.error ?? `clusterUid: the kube-system Namespace of ${w.cluster === undefined ? 'the cluster' : `cluster "${w.cluster}"`} is not read yet`);
  return { ok: false, reason: reasons.join('; ') };
}

/** Options of `readinessOf`. */
export interface ReadinessOptions {
  /**
   * With several clusters (`clusterReadiness`): ready when `all` of them (default) or `any` one finished listing
   * every resource, none of them degraded.
   */
  readonly clusters?: 'all' | 'any' | undefined;
}
