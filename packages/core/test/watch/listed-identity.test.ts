import { describe, expect, it } from 'vitest';
import { peekAddedIdentity } from '../../src/watch/listed-identity.js';

const peek = (line: string): ReturnType<typeof peekAddedIdentity> => peekAddedIdentity(Buffer.from(line));

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
    // Non-ASCII data after the identity does not matter: only the first bytes are decoded.
    expect(peek(configMap.replace('"k":"v"', '"k":"✓ é"'))).toEqual({ key: 'bench/cm-1', uid: '0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f', resourceVersion: '4711' });
    expect(peek(configMap)).toEqual({ key: 'bench/cm-1', uid: '0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f', resourceVersion: '4711' });
    expect(peek(generated)).toEqual({ key: 'prod/web-7d9f-abcde', uid: 'u-2', resourceVersion: '12' });
    expect(peek(namespace)).toEqual({ key: 'kube-system', uid: 'u-3', resourceVersion: '7' });
  });

  it('reads nothing from lines it cannot be sure of, which are then parsed whole', () => {
    // Custom resources: keys sorted, so metadata does not start with name.
    expect(peek(customResource)).toBeUndefined();
    // Not an ADDED event, or another key order.
    expect(peek(configMap.replace('"ADDED"', '"MODIFIED"'))).toBeUndefined();
    expect(peek(configMap.replace('{"kind":"ConfigMap","apiVersion":"v1",', '{"apiVersion":"v1","kind":"ConfigMap",'))).toBeUndefined();
    // An escaped character anywhere in the identity: no guessing.
    expect(peek(configMap.replace('"name":"cm-1"', '"name":"cm\\u002d1"'))).toBeUndefined();
    // No uid or no resourceVersion right after the name and namespace.
    expect(peek(configMap.replace('"uid":"0b6c3c5e-1d0a-4d8e-9a43-2f8f0c1d2e3f",', ''))).toBeUndefined();
    expect(peek(namespace.replace(',"resourceVersion":"7"', ''))).toBeUndefined();
    // An identity past the first 1 KiB (names at their longest end well before): parsed whole.
    expect(peek(configMap.replace('"kind":"ConfigMap"', `"kind":"${'C'.repeat(1100)}"`))).toBeUndefined();
    // A data value that looks like metadata, in an object without the usual start.
    expect(peek('{"type":"ADDED","object":{"data":{"x":"{\\"type\\":\\"ADDED\\"}"},"kind":"ConfigMap"}}')).toBeUndefined();
  });
});
