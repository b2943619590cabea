import { describe, expect, it } from 'vitest';
import { ExpressionError, compileExpression } from '../../src/expression/compile-expression.js';
import { MAX_EXPRESSION_LENGTH, nestedQuantifier } from '../../src/expression/expression-limits.js';
import { deepFreeze } from '../../src/internal/deep-freeze.js';

const service = deepFreeze({
  metadata: { name: 'a', namespace: 'default', labels: { team: 'x' } },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] },
  status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
});

function compileError(source: string, kind: 'filter' | 'updateFilter' | 'transform' = 'filter', variables: ('object' | 'oldObject' | 'resource')[] = ['object']): ExpressionError {
  try {
    compileExpression(source, kind, variables);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error(`${source} compiled`);
}

describe('compileExpression', () => {
  it('compiles a filter over the object and evaluates it', () => {
    const filter = compileExpression('object.spec.type == "LoadBalancer"', 'filter', ['object']);
    expect(filter.run({ object: service })).toBe(true);
    expect(filter.run({ object: { spec: { type: 'ClusterIP' } } })).toBe(false);
  });

  it('compares JSON numbers (CEL doubles) with int literals', () => {
    const filter = compileExpression('object.status.failed > 0 && object.status.failed == 2', 'filter', ['object']);
    expect(filter.run({ object: { status: { failed: 2 } } })).toBe(true);
  });

  it('points a syntax error at its place in the expression, line and column', () => {
    const error = compileError('object.spec.type ==\n  && true');
    expect(error.line).toBe(2);
    expect(error.column).toBe(3);
    expect(error.offset).toBe(22);
    expect(error.message).toMatch(/^2:3: /);
  });

  it('points at the end of an expression cut short', () => {
    const error = compileError('object.spec.type ==');
    expect(error.line).toBe(1);
    expect(error.column).toBe(20);
    expect(error.summary).toMatch(/EOF/);
  });

  it('refuses a variable the place does not offer, saying which it does', () => {
    const error = compileError('object.status.phase != oldObject.status.phase', 'filter', ['object', 'resource']);
    expect(error.summary).toMatch(/oldObject/);
    expect(error.summary).toMatch(/can use object, resource/);
    expect(error.column).toBe(24);
    expect(compileExpression('object.status.phase != oldObject.status.phase', 'updateFilter', ['object', 'oldObject', 'resource']).kind).toBe('updateFilter');
  });

  it('refuses a filter that is not a bool and a transform that is not a map', () => {
    expect(compileError('size(object.spec.ports)').summary).toMatch(/must give a bool, this gives int/);
    expect(compileError('"x"', 'transform').summary).toMatch(/must give a map .*, this gives string/);
    expect(compileError('[1, 2]', 'transform').summary).toMatch(/must give a map/);
  });

  it('reports a type error at the operator', () => {
    const error = compileError('1 + "a" == 2');
    expect(error.summary).toMatch(/no matching overload|not defined|overload/i);
  });

  it('accepts a transform with mixed literal types and optional chaining', () => {
    const transform = compileExpression(
      '{"name": object.metadata.name, "port": 80, "ip": object.?status.?loadBalancer.?ingress[0].?ip.orValue(""), "tags": ["a", 1]}',
      'transform',
      ['object', 'resource'],
    );
    expect(transform.run({ object: service, resource: 'services' })).toEqual({ name: 'a', port: 80n, ip: '10.0.0.1', tags: ['a', 1n] });
  });

  it('refuses an empty expression and one over the length limit', () => {
    expect(compileError('   ').summary).toMatch(/empty/);
    const long = `object.metadata.name == "${'x'.repeat(MAX_EXPRESSION_LENGTH)}"`;
    expect(compileError(long).summary).toMatch(/more than the 4096 allowed/);
  });

  it('refuses more than the parser limits allow (AST nodes, nesting depth)', () => {
    const many = Array.from({ length: 400 }, (_v, i) => `object.a${i} == 1`).join(' || ');
    expect(many.length).toBeLessThan(MAX_EXPRESSION_LENGTH * 4);
    expect(() => compileExpression(many.slice(0, MAX_EXPRESSION_LENGTH - 1).replace(/ \|\| [^|]*$/, ''), 'filter', ['object'])).toThrow(ExpressionError);
    const deep = `${'('.repeat(40)}true${')'.repeat(40)}`;
    expect(compileError(deep).summary).toMatch(/depth|nest/i);
  });

  it('allows two levels of comprehensions and refuses a third', () => {
    const two = compileExpression('object.spec.containers.exists(c, c.ports.exists(p, p.containerPort == 80))', 'filter', ['object']);
    expect(two.run({ object: { spec: { containers: [{ ports: [{ containerPort: 8080 }] }, { ports: [{ containerPort: 80 }] }] } } })).toBe(true);
    const error = compileError('object.a.all(x, x.b.all(y, y.c.exists(z, z == 1)))');
    expect(error.summary).toMatch(/nest at most 2 deep/);
    expect(error.column).toBe(28);
    // A chain is not a nest: each step walks its list once.
    expect(compileExpression('object.a.filter(x, x > 1).map(x, x * 2.0).exists(x, x > 3.0)', 'filter', ['object']).kind).toBe('filter');
  });

  it('refuses a computed regular expression and one with a repeated repetition', () => {
    expect(compileError('object.metadata.name.matches(object.metadata.namespace)').summary).toMatch(/literal pattern/);
    const error = compileError('object.metadata.name.matches("^(a+)+$")');
    expect(error.summary).toMatch(/\(a\+\)\+/);
    expect(error.column).toBe(30);
    const ok = compileExpression('object.metadata.name.matches("^web-[0-9]+$")', 'filter', ['object']);
    expect(ok.run({ object: { metadata: { name: 'web-12' } } })).toBe(true);
  });
});

describe('nestedQuantifier', () => {
  it.each([
    ['(a+)+', '(a+)+'],
    ['^(\\w*,?)*$', '(\\w*,?)*'],
    ['(a|aa)+b', '(a|aa)+'],
    ['((ab)*c)+', '((ab)*c)+'],
    ['(x{2,})*', '(x{2,})*'],
  ])('finds %s', (pattern, group) => {
    expect(nestedQuantifier(pattern)).toBe(group);
  });

  it.each(['^web-[0-9]+$', '(ab)+', '[(a+)]+', '\\(a+\\)+', '(a{1,1})+', 'a*b*c*', '(?:prod|staging)-.*'])('accepts %s', (pattern) => {
    expect(nestedQuantifier(pattern)).toBeUndefined();
  });
});
