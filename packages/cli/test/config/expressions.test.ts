/**
 * CEL keys in the config file (issue 15): `resources[].filter`, `remoteEndpoints[].filter`, `updateFilter` and
 * `transform` load into the config and reach core; an expression that does not compile is refused when the file
 * loads, located at the offending character inside the YAML scalar whatever its style.
 */
import { describe, expect, it } from 'vitest';

import { formatDiagnostic, parseConfig } from '../../src/config/load-config.js';

/** Loads `text` as `c.yaml` and returns the formatted errors (the config must be rejected). */
function errorsOf(text: string): string[] {
  const result = parseConfig(text, 'c.yaml', { checkEnvironment: false });
  if (result.ok) throw new Error('expected errors, the config loaded');
  return result.errors.map(formatDiagnostic);
}

/** The character at `line:col` (1-based) of `text`. */
function charAt(text: string, diagnostic: string): string | undefined {
  const [, line, col] = /^c\.yaml:(\d+):(\d+) /.exec(diagnostic) ?? [];
  return text.split('\n')[Number(line) - 1]?.[Number(col) - 1];
}

const head = 'resources:\n- name: services\nremoteEndpoints:\n- url: http://receiver.example/hook\n';

describe('CEL expressions in the config file', () => {
  it('loads every key into the normalized config, absent ones as undefined', () => {
    const text = [
      'resources:',
      '- name: services',
      '  filter: object.spec.type == "LoadBalancer"',
      '- name: pods',
      'remoteEndpoints:',
      '- url: http://receiver.example/hook',
      '  filter: resource == "services"',
      '  updateFilter: object.status != oldObject.status',
      '  transform: \'{"name": object.metadata.name}\'',
      '- url: http://other.example/hook',
      '- type: nats',
      '  url: nats://127.0.0.1:4222',
      '  subject: wp',
      '  filter: "true"',
      '',
    ].join('\n');
    const result = parseConfig(text, 'c.yaml', { checkEnvironment: false });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    expect(result.config.resources.map((r) => r.filter)).toEqual(['object.spec.type == "LoadBalancer"', undefined]);
    const [first, second, nats] = result.config.remoteEndpoints;
    expect(first).toMatchObject({ filter: 'resource == "services"', updateFilter: 'object.status != oldObject.status', transform: '{"name": object.metadata.name}' });
    expect([second?.filter, second?.updateFilter, second?.transform]).toEqual([undefined, undefined, undefined]);
    expect(nats).toMatchObject({ type: 'nats', filter: 'true' });
    expect([nats?.updateFilter, nats?.transform]).toEqual([undefined, undefined]);
  });

  it('plain scalar: the column of the offending character on the key\'s line', () => {
    const text = 'resources:\n- name: services\n  filter: object.spec.type == "LoadBalancer" &&\n';
    const [error] = errorsOf(text);
    expect(error).toBe('c.yaml:3:48 resources.0.filter: invalid CEL filter: Unexpected token: EOF');
  });

  it('plain scalar over two lines: the line it continues on', () => {
    const text = `${head}  filter: object.spec.type ==\n    "a" + )\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^c\.yaml:6:\d+ remoteEndpoints\.0\.filter: invalid CEL filter: /);
    expect(charAt(text, error!)).toBe(')');
  });

  it('double-quoted scalar: after the quote, through escapes', () => {
    const text = `${head}  filter: "object.metadata.name == \\"x\\" && object.spec.typo(1)"\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^c\.yaml:5:\d+ remoteEndpoints\.0\.filter: invalid CEL filter: found no matching overload for 'dyn\.typo\(int\)'$/);
    expect(charAt(text, error!)).toBe('o');
    expect(text.split('\n')[4]!.slice(Number(/:5:(\d+)/.exec(error!)![1]) - 1)).toMatch(/^object\.spec\.typo/);
  });

  it("single-quoted scalar: '' counts as one character", () => {
    const text = `${head}  filter: 'object.metadata.name == ''it'' && ]'\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^c\.yaml:5:\d+ remoteEndpoints\.0\.filter: invalid CEL filter: /);
    expect(charAt(text, error!)).toBe(']');
  });

  it('literal block: the line and column inside the block', () => {
    const text = `${head}  updateFilter: |\n    object.status.phase !=\n      oldObjekt.status.phase\n`;
    expect(errorsOf(text)).toEqual([
      'c.yaml:7:7 remoteEndpoints.0.updateFilter: invalid CEL updateFilter: Unknown variable: oldObjekt (this expression can use object, oldObject, resource)',
    ]);
  });

  it('folded block: the line a folded line break came from', () => {
    const text = `${head}  transform: >-\n    {"name": object.metadata.name,\n     "n": 1 +}\n`;
    const [error] = errorsOf(text);
    expect(error).toBe('c.yaml:7:14 remoteEndpoints.0.transform: invalid CEL transform: Unexpected token: RBRACE');
    expect(charAt(text, error!)).toBe('}');
  });

  it('an anchored expression used through an alias is located where it is written', () => {
    const text = `x-rules:\n  lb: &lb object.spec.type = "LoadBalancer"\n${head}  filter: *lb\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^c\.yaml:2:\d+ remoteEndpoints\.0\.filter: invalid CEL filter: /);
    expect(charAt(text, error!)).toBe('=');
  });

  it('type errors: a filter must give a bool, a transform a map', () => {
    expect(errorsOf(`${head}  filter: size(object.metadata)\n`)).toEqual(['c.yaml:5:11 remoteEndpoints.0.filter: invalid CEL filter: a filter must give a bool, this gives int']);
    expect(errorsOf(`${head}  filter: '"yes"'\n`)).toEqual(['c.yaml:5:12 remoteEndpoints.0.filter: invalid CEL filter: a filter must give a bool, this gives string']);
    expect(errorsOf(`${head}  transform: object.metadata.name == "x"\n`)).toEqual([
      'c.yaml:5:14 remoteEndpoints.0.transform: invalid CEL transform: a transform must give a map (the item\'s data), this gives bool',
    ]);
  });

  it('each place sees its own variables: a resource filter has no `resource`, only an updateFilter has `oldObject`', () => {
    expect(errorsOf('resources:\n- name: services\n  filter: resource == "services"\n')).toEqual([
      'c.yaml:3:11 resources.0.filter: invalid CEL filter: Unknown variable: resource (this expression can use object)',
    ]);
    expect(errorsOf(`${head}  filter: object == oldObject\n`)).toEqual([
      'c.yaml:5:21 remoteEndpoints.0.filter: invalid CEL filter: Unknown variable: oldObject (this expression can use object, resource)',
    ]);
  });

  it('limits: an empty or an overlong expression, a risky regex', () => {
    expect(errorsOf(`${head}  filter: ""\n`)).toEqual(['c.yaml:5:11 remoteEndpoints.0.filter: must not be empty']);
    expect(errorsOf(`${head}  filter: "${'true && '.repeat(600)}true"\n`)).toEqual(['c.yaml:5:11 remoteEndpoints.0.filter: must be at most 4096 characters long']);
    const text = `${head}  filter: object.metadata.name.matches("(a+)+$")\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^c\.yaml:5:\d+ remoteEndpoints\.0\.filter: invalid CEL filter: matches\(\) pattern repeats a group/);
    expect(charAt(text, error!)).toBe('"');
  });

  it('every bad expression of a file is reported, in file order, with the other problems', () => {
    const text = 'emitBatchMaxObjects: -1\nresources:\n- name: services\n  filter: "("\nremoteEndpoints:\n- url: http://receiver.example/hook\n  transform: "{"\n';
    const errors = errorsOf(text);
    expect(errors.map((e) => e.split(' ')[1])).toEqual(['emitBatchMaxObjects:', 'resources.0.filter:', 'remoteEndpoints.0.transform:']);
  });
});
