import { describe, expect, it } from 'vitest';
import { peekAddedIdentity } from '../../src/watch/listed-identity.js';

// Lines as kube-apiserver 1.35 writes them (Go struct order for built-in kinds, sorted keys for custom resources).
const configMap =
  '{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-1","namespace":"bench","uid":"0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f","resourceVersion":"4711","creationTimestamp":"2026-12-06T03:00:00Z","labels":{"app":"x"}},"data":{"k":"v"}}}';
const generated =
  '{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7d9f-abcde","generateName":"web-7d9f-","namespace":"prod","uid":"u-2","resourceVersion":"12","creationTimestamp":null},"spec":{}}}';
const namespace = '{"type":"ADDED","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system","uid":"u-3","resourceVersion":"7"},"spec":{}}}';
const customResource =
  '{"type":"ADDED","object":{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"creationTimestamp":"2026-12-06T03:00:00Z","generation":1,"name":"w","namespace":"a","resourceVersion":"9","uid":"u-4"},"spec":{}}}';

describe('peekAddedIdentity', () => {
  it("reads key, uid and resourceVersion from the first bytes of a built-in kind's ADDED line", () => {
    expect(peekAddedIdentity(configMap)).toEqual({ key: 'bench/cm-1', uid: '0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f', resourceVersion: '4711' });
    expect(peekAddedIdentity(generated)).toEqual({ key: 'prod/web-7d9f-abcde', uid: 'u-2', resourceVersion: '12' });
    expect(peekAddedIdentity(namespace)).toEqual({ key: 'kube-system', uid: 'u-3', resourceVersion: '7' });
  });

  it('reads nothing from lines it cannot be sure of, which are then parsed whole', () => {
    // Custom resources: keys sorted, so metadata does not start with name.
    expect(peekAddedIdentity(customResource)).toBeUndefined();
    // Not an ADDED event, or another key order.
    expect(peekAddedIdentity(configMap.replace('"ADDED"', '"MODIFIED"'))).toBeUndefined();
    expect(peekAddedIdentity(configMap.replace('{"kind":"ConfigMap","apiVersion":"v1",', '{"apiVersion":"v1","kind":"ConfigMap",'))).toBeUndefined();
    // An escaped character anywhere in the identity: no guessing.
    expect(peekAddedIdentity(configMap.replace('"name":"cm-1"', '"name":"cm\\u002d1"'))).toBeUndefined();
    // No uid or no resourceVersion right after the name and namespace.
    expect(peekAddedIdentity(configMap.replace('"uid":"0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f",', ''))).toBeUndefined();
    expect(peekAddedIdentity(namespace.replace(',"resourceVersion":"7"', ''))).toBeUndefined();
    // A data value that looks like metadata, in an object without the usual start.
    expect(peekAddedIdentity('{"type":"ADDED","object":{"data":{"x":"{\\"type\\":\\"ADDED\\"}"},"kind":"ConfigMap"}}')).toBeUndefined();
  });
});
