/** The ConfigMaps of the initial-sync, memory and idle scenarios, and the raw LIST download they are compared with. */
import type { Context } from './context.ts';
import { configMap } from './generators.ts';
import { clock } from './stats.ts';

/** One namespace per population size, so going from 100k back to 10k never deletes 90k objects. */
export function syncNamespace(n: number): string {
  return `bench-sync-${n}`;
}

export function syncPath(n: number): string {
  return `/api/v1/namespaces/${syncNamespace(n)}/configmaps`;
}
/** The reflector's page size (its default `limit`), so the floor fetches the same pages. */
const PAGE = 500;

/** Makes sure exactly the first `n` generated ConfigMaps exist (more are deleted, so sizes can go down too). */
export async function ensurePopulation(ctx: Context, n: number): Promise<void> {
  const namespace = syncNamespace(n);
  const path = syncPath(n);
  await ctx.api.ensureNamespace(namespace);
  const have = await ctx.api.count(path);
  if (have < n) {
    ctx.log(`creating ConfigMaps ${have}..${n} in ${namespace}`);
    const rate = await ctx.api.createMany(path, have, n, (i) => configMap(namespace, i));
    ctx.log(`created ${n - have} ConfigMaps at ${Math.round(rate)}/s`);
    ctx.detail('generator', { objects: n - have, kind: 'ConfigMap', createsPerSecond: Math.round(rate) });
  } else if (have > n) {
    // Names are cm-000000.. in order; deleting from the end keeps the first n.
    const list = JSON.parse((await ctx.api.must('GET', `${path}?limit=${have}`)).body) as { items: { metadata: { name: string } }[] };
    const extra = list.items.map((item) => item.metadata.name).sort().slice(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < extra.length) await ctx.api.send('DELETE', `${path}/${extra[next++]!}`);
      }),
    );
  }
}

export interface Download {
  readonly ms: number;
  readonly bytes: number;
  readonly pages: number;
}

/** Downloads every page of `path` (limit 500, continue tokens), reading the bytes without parsing them. */
export async function listDownload(ctx: Context, path: string): Promise<Download> {
  const started = clock();
  let bytes = 0;
  let pages = 0;
  let token: string | undefined;
  do {
    const body = await ctx.api.getRaw(`${path}?limit=${PAGE}${token === undefined ? '' : `&continue=${encodeURIComponent(token)}`}`);
    bytes += body.length;
    pages++;
    // The list metadata comes first in the apiserver's JSON; only its head is decoded to find the token.
    token = /"continue":"([^"]+)"/.exec(body.toString('latin1', 0, Math.min(body.length, 4096)))?.[1];
  } while (token !== undefined);
  return { ms: clock() - started, bytes, pages };
}

/** The best of `runs` downloads (the floor is the fastest the apiserver and network can do). */
export async function bestDownload(ctx: Context, path: string, runs = 2): Promise<Download & { runs: number[] }> {
  const all: Download[] = [];
  for (let i = 0; i < runs; i++) all.push(await listDownload(ctx, path));
  const best = all.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, runs: all.map((d) => Math.round(d.ms)) };
}
