import { describe, expect, it } from 'vitest';
import { compileExpression } from '../../src/expression/compile-expression.js';
import { ExpressionRule, MAX_LOGGED_KEYS_PER_RULE } from '../../src/expression/expression-rule.js';
import { NotJsonError, toJson } from '../../src/expression/to-json.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';
import type { Logger } from '../../src/logger.js';

interface Line {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

function rule(source: string, kind: 'filter' | 'updateFilter' | 'transform', logger: Logger): ExpressionRule {
  return new ExpressionRule({ name: 'remoteEndpoints[0].filter', expression: compileExpression(source, kind, ['object', 'oldObject', 'resource']), logger });
}

const job = deepFreeze({
  metadata: { name: 'backup', namespace: 'ops', uid: 'u1' },
  spec: { completions: 1 },
  status: { failed: 3, conditions: [{ type: 'Failed', status: 'True' }] },
});

describe('ExpressionRule', () => {
  it('counts matched and dropped objects', () => {
    const { logger, lines } = recordingLogger();
    const failed = rule('has(object.status.failed) && object.status.failed > 0', 'filter', logger);
    expect(failed.test({ object: job }, 'jobs|ops/backup')).toBe(true);
    expect(failed.test({ object: { metadata: { name: 'ok' }, status: {} } }, 'jobs|ops/ok')).toBe(false);
    expect(failed.stats()).toEqual({ matched: 1, dropped: 1, errors: 0 });
    expect(lines).toEqual([]);
  });

  it('counts an evaluation error as not matching and logs it once per object key, without values', () => {
    const { logger, lines } = recordingLogger();
    const phase = rule('object.status.phase == "Failed"', 'filter', logger);
    const secretish = { metadata: { name: 's' }, status: { other: 'hunter2-secret-value' } };
    expect(phase.verdict({ object: secretish }, 'pods|ns/s')).toBe('error');
    expect(phase.test({ object: secretish }, 'pods|ns/s')).toBe(false);
    expect(phase.test({ object: secretish }, 'pods|ns/t')).toBe(false);
    expect(phase.stats()).toEqual({ matched: 0, dropped: 0, errors: 3 });
    expect(lines.map((l) => l.obj['key'])).toEqual(['pods|ns/s', 'pods|ns/t']);
    expect(lines[0]?.obj).toMatchObject({ rule: 'remoteEndpoints[0].filter', code: 'no_such_key', at: '1:15' });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('never puts quoted values of a conversion error into the log', () => {
    const { logger, lines } = recordingLogger();
    const convert = rule('int(object.data.token) > 0', 'filter', logger);
    expect(convert.test({ object: { data: { token: 'c2VjcmV0LXRva2Vu' } } }, 'secrets|ns/t')).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('c2VjcmV0LXRva2Vu');
  });

  it('treats a non-bool result of a dyn expression as an error', () => {
    const { logger } = recordingLogger();
    const dyn = rule('object.spec.completions', 'filter', logger);
    expect(dyn.verdict({ object: job }, 'k')).toBe('error');
    expect(dyn.stats().errors).toBe(1);
  });

  it('stops logging new keys past the bound but keeps counting', () => {
    const { logger, lines } = recordingLogger();
    const missing = rule('object.nope == 1', 'filter', logger);
    for (let i = 0; i < MAX_LOGGED_KEYS_PER_RULE + 5; i++) missing.test({ object: {} }, `k${i}`);
    expect(missing.stats().errors).toBe(MAX_LOGGED_KEYS_PER_RULE + 5);
    expect(lines).toHaveLength(MAX_LOGGED_KEYS_PER_RULE + 1);
    expect(lines.at(-1)?.msg).toMatch(/counted, not logged/);
  });

  it('updateFilter compares the object with the state last delivered', () => {
    const { logger } = recordingLogger();
    const changed = rule('object.status.phase != oldObject.status.phase', 'updateFilter', logger);
    expect(changed.test({ object: { status: { phase: 'Running' } }, oldObject: { status: { phase: 'Pending' } } }, 'k')).toBe(true);
    expect(changed.test({ object: { status: { phase: 'Running' } }, oldObject: { status: { phase: 'Running' } } }, 'k')).toBe(false);
  });

  it('projects a transform into real JSON types', () => {
    const { logger } = recordingLogger();
    const dns = rule(
      '{"name": object.metadata.name, "ip": object.status.loadBalancer.ingress[0].ip, "port": 53, "weight": 0.5, "ports": object.spec.ports.map(p, p.port), "none": null, "nested": {"ok": true, "n": [1, 2]}}',
      'transform',
      logger,
    );
    const svc = deepFreeze({ metadata: { name: 'dns' }, spec: { ports: [{ port: 53 }, { port: 5353 }] }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } } });
    const data = dns.project({ object: svc, resource: 'services' }, 'services|ns/dns');
    expect(data).toEqual({ name: 'dns', ip: '10.0.0.9', port: 53, weight: 0.5, ports: [53, 5353], none: null, nested: { ok: true, n: [1, 2] } });
    expect(JSON.stringify(data)).toBe('{"name":"dns","ip":"10.0.0.9","port":53,"weight":0.5,"ports":[53,5353],"none":null,"nested":{"ok":true,"n":[1,2]}}');
    expect(dns.stats()).toEqual({ matched: 1, dropped: 0, errors: 0 });
  });

  it('a transform that fails on an object gives undefined and counts an error', () => {
    const { logger, lines } = recordingLogger();
    const dns = rule('{"ip": object.status.loadBalancer.ingress[0].ip}', 'transform', logger);
    expect(dns.project({ object: { status: { loadBalancer: {} } } }, 'services|ns/pending')).toBeUndefined();
    expect(dns.stats().errors).toBe(1);
    expect(lines).toHaveLength(1);
  });
});

describe('toJson', () => {
  it('turns CEL integers (BigInt) into numbers', () => {
    expect(toJson(42n)).toBe(42);
    expect(toJson([1n, { a: -3n }])).toEqual([1, { a: -3 }]);
  });

  it('refuses an integer a JSON number cannot hold exactly, and NaN', () => {
    expect(() => toJson({ big: 2n ** 60n })).toThrow(NotJsonError);
    expect(() => toJson({ big: 2n ** 60n })).toThrow(/at big: /);
    expect(() => toJson(Number.NaN)).toThrow(NotJsonError);
  });

  it('maps timestamps, durations, bytes, optionals and map keys as protobuf JSON does', () => {
    const env = compileExpression(
      '{"t": timestamp("2024-01-01T10:00:00Z"), "d": duration("90s"), "f": duration("1.5s"), "b": b"hi", "o": optional.none(), "p": optional.of(1), "m": {1: "one", true: "yes"}, "u": 7u}',
      'transform',
      ['object'],
    );
    expect(toJson(env.run({ object: {} }))).toEqual({ t: '2024-01-01T10:00:00.000Z', d: '90s', f: '1.5s', b: 'aGk=', o: null, p: 1, m: { '1': 'one', true: 'yes' }, u: 7 });
  });

  it('returns the frozen parts of the input object as they are', () => {
    const part = deepFreeze({ labels: { a: 'b' } });
    expect(toJson({ meta: part })).toEqual({ meta: part });
    expect((toJson({ meta: part }) as { meta: unknown }).meta).toBe(part);
  });
});
