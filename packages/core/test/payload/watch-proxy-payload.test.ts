import { describe, expect, it } from 'vitest';
import { buildClusterMeta, buildMeta, encodeWatchProxyPayload, wrapVroPayload } from '../../src/payload/index.js';
import { goldenNames, loadGolden } from './golden.js';

describe('encodeWatchProxyPayload', () => {
  it.each(goldenNames)('writes the bytes Go wrote for the %s vector', (name) => {
    const golden = loadGolden(name);
    const body = Buffer.from(encodeWatchProxyPayload(golden.items, golden.meta), 'utf8');
    expect(body.toString('utf8')).toBe(golden.body.toString('utf8'));
    expect(body.equals(golden.body)).toBe(true);
  });

  it.each(goldenNames)("writes the same bytes straight into a Buffer (output 'buffer') for the %s vector", (name) => {
    const golden = loadGolden(name);
    const body = encodeWatchProxyPayload(golden.items, golden.meta, 'buffer');
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(body.equals(golden.body)).toBe(true);
  });

  it("grows the Buffer to the exact size when a piece is not ASCII, wherever it is (output 'buffer')", () => {
    const base = loadGolden('namespace').items[0]!;
    for (const at of [0, 1, 2, 7]) {
      const items = Array.from({ length: 8 }, (_, i) => ({
        ...base,
        assetId: i === at ? 'naïve' : base.assetId,
        object: i === at ? { ...base.object, note: '中文 😀 é' } : base.object,
      }));
      const expected = Buffer.from(encodeWatchProxyPayload(items, { cluster: 'ü' }), 'utf8');
      const body = encodeWatchProxyPayload(items, { cluster: 'ü' }, 'buffer');
      expect(body.length).toBe(expected.length);
      expect(body.equals(expected)).toBe(true);
    }
    expect(encodeWatchProxyPayload([], { cluster: 'ü' }, 'buffer').toString('utf8')).toBe('{"data":[],"meta":{"cluster":"ü"}}');
  });

  it('writes the Service example of the spec (section 3.4) on one line, meta keys sorted', () => {
    const golden = loadGolden('service');
    const body = encodeWatchProxyPayload(golden.items, buildMeta({ region: 'east', platform: 'baremetal' }, 'dev-cluster'));
    expect(body.startsWith('{"data":[{"asset_type_id":"svc","data":{"metadata":{"creationTimestamp":"2020-01-14T16:05:12Z","name":"echo1",')).toBe(true);
    expect(body.endsWith('"uniqueId":"dev-cluster-0b5f9a3e-3c1d-4c52-9a1e-6f1f2f0d7a11","event":"add"}],"meta":{"cluster":"dev-cluster","platform":"baremetal","region":"east"}}')).toBe(true);
    expect(body).not.toMatch(/\s/);
  });

  it('writes an empty data list as [] with meta null', () => {
    expect(encodeWatchProxyPayload([], null)).toBe('{"data":[],"meta":null}');
  });

  it('does not mutate the objects it encodes', () => {
    const golden = loadGolden('mixed');
    const before = JSON.stringify(golden.items);
    encodeWatchProxyPayload(golden.items, golden.meta);
    expect(JSON.stringify(golden.items)).toBe(before);
  });
});

describe('buildMeta', () => {
  it('is null with neither metadata nor cluster name', () => {
    expect(buildMeta(null, '')).toBeNull();
    expect(buildMeta(undefined, '')).toBeNull();
  });

  it('keeps configured metadata, even empty, without a cluster name', () => {
    expect(buildMeta({}, '')).toEqual({});
    expect(buildMeta({ a: 1 }, '')).toEqual({ a: 1 });
  });

  it('adds cluster, overriding a user key, without mutating the input', () => {
    const metadata = Object.freeze({ cluster: 'mine', region: 'east' });
    expect(buildMeta(metadata, 'dev')).toEqual({ cluster: 'dev', region: 'east' });
    expect(metadata.cluster).toBe('mine');
  });

  it('gives { cluster } where the original panicked (cluster name without metadata)', () => {
    expect(buildMeta(null, 'dev')).toEqual({ cluster: 'dev' });
  });
});

describe('buildClusterMeta', () => {
  it("is buildMeta's value with the cluster's name and metadata, and no clusterUid without a uid", () => {
    expect(buildClusterMeta({ region: 'east' }, { name: 'prod', metadata: { region: 'eu', tier: 1 } })).toEqual({ cluster: 'prod', region: 'eu', tier: 1 });
    expect(buildClusterMeta(null, { name: '' })).toBeNull();
    expect(Object.keys(buildClusterMeta({ a: 1 }, { name: 'prod' })!)).not.toContain('clusterUid');
  });

  it('adds clusterUid, overriding a user key, beside cluster (and alone when there is no name nor metadata)', () => {
    const metadata = Object.freeze({ clusterUid: 'mine', region: 'east' });
    expect(buildClusterMeta(metadata, { name: 'prod', uid: 'u-1' })).toEqual({ cluster: 'prod', region: 'east', clusterUid: 'u-1' });
    expect(metadata.clusterUid).toBe('mine');
    expect(buildClusterMeta(null, { name: '', uid: 'u-1' })).toEqual({ clusterUid: 'u-1' });
    // A single cluster's batch stamped only for its UID gives the meta it always had, plus clusterUid.
    expect(buildClusterMeta({ region: 'east' }, { name: 'dev', uid: 'u-2' })).toEqual({ ...buildMeta({ region: 'east' }, 'dev'), clusterUid: 'u-2' });
  });

  it('is written in the payload with the other meta keys, sorted', () => {
    const body = encodeWatchProxyPayload([], buildClusterMeta({ region: 'east' }, { name: 'dev', uid: 'u-2' }));
    expect(body).toBe('{"data":[],"meta":{"cluster":"dev","clusterUid":"u-2","region":"east"}}');
  });
});

describe('wrapVroPayload', () => {
  it('wraps the payload as a string input named input, escaped once more', () => {
    const payload = '{"data":[{"asset_type_id":"a\\u0026b"}],"meta":null}';
    expect(wrapVroPayload(payload)).toBe(
      '{"parameters":[{"value":{"string":{"value":"{\\"data\\":[{\\"asset_type_id\\":\\"a\\\\u0026b\\"}],\\"meta\\":null}"}},"type":"string","name":"input"}]}',
    );
    const parsed = JSON.parse(wrapVroPayload(payload)) as { parameters: [{ value: { string: { value: string } } }] };
    expect(parsed.parameters[0].value.string.value).toBe(payload);
  });
});
