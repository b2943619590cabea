import { describe, expect, it } from 'vitest';

import { envTemplateReferences, expandEnvTemplate, readEnvSecret } from '../../src/config/env-template.js';

describe('env templates', () => {
  it.each([
    ['plain', []],
    ['${A}', ['A']],
    ['Bearer ${TOKEN_1}', ['TOKEN_1']],
    ['${A}-${B}-${A}', ['A', 'B']],
    ['$$ and $${A} are literal', []],
    ['$A is literal too', []],
  ] as const)('%j references %j', (template, names) => {
    expect(envTemplateReferences(template)).toEqual({ ok: true, names });
  });

  it.each(['${}', '${1A}', '${A-B}', '${ A }'])('rejects %j', (template) => {
    const result = envTemplateReferences(template);
    expect(result.ok).toBe(false);
  });

  it('expands references, strips one trailing newline from values, and unescapes $$', () => {
    const env = { A: 'a\n', B: 'b\n\n', TOKEN: 't' };
    expect(expandEnvTemplate('x-${A}-${B}-$$-$${A}-Bearer ${TOKEN}', env)).toBe('x-a-b\n-$-${A}-Bearer t');
  });

  it('names an unset variable without showing any value', () => {
    expect(() => expandEnvTemplate('${SET}${MISSING}', { SET: 'secret-value' })).toThrow(/^environment variable MISSING is not set$/);
  });

  it('reads secrets the way the original did', () => {
    expect(readEnvSecret({ U: 'user1\n' }, 'U')).toBe('user1');
    expect(readEnvSecret({ U: 'user1\r\n' }, 'U')).toBe('user1\r');
    expect(readEnvSecret({ U: '' }, 'U')).toBe('');
    expect(readEnvSecret({}, 'U')).toBeUndefined();
  });
});
