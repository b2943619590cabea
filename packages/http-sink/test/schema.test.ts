import { checkHttpEndpointAuth, httpEndpointFields, type EndpointFieldBuilders } from '@watch-proxy/http-sink/schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createHttpSink } from '../src/index.js';

// A host whose file writes scalars as plain JSON (the CLI passes its YAML-aware builders instead).
const plain: EndpointFieldBuilders = {
  text: (description) => z.string().meta({ description }),
  nonEmptyText: (description) => z.string().min(1).meta({ description }),
  envVarName: (description) => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).meta({ description }),
  flag: (description, defaultValue) => z.boolean().default(defaultValue).meta({ description }),
  wholeNumber: () => z.number().int(),
  duration: (description, options) =>
    z
      .number()
      .min(options.positive === true ? 1 : 0)
      .max(options.max?.ms ?? Infinity)
      .default(5000)
      .meta({ description }),
};
const endpoint = z.strictObject(httpEndpointFields(plain));

describe('the ./schema entry', () => {
  it('gives the endpoint keys with their defaults, whatever builders the host spells scalars with', () => {
    expect(endpoint.parse({ url: 'https://receiver.example/in' })).toEqual({
      url: 'https://receiver.example/in',
      headers: {},
      timeout: 5000,
      compression: 'none',
      format: 'watch-proxy',
    });
  });

  it('refuses what the sink refuses: a non-http URL, a header name that is no token, a status out of range', () => {
    const issues = (input: unknown): string[] => endpoint.safeParse(input).error?.issues.map((issue) => issue.path.join('.')) ?? [];
    expect(issues({ url: 'ftp://receiver.example/in' })).toEqual(['url']);
    expect(issues({ url: 'https://r.example/', headers: { 'Bad Header': 'x' } })).toEqual(['headers.Bad Header']);
    expect(issues({ url: 'https://r.example/', successStatusCodes: [200, 700] })).toEqual(['successStatusCodes.1']);
    // The sink's own check uses the same header-name rule.
    expect(() => createHttpSink({ url: 'https://r.example/', headers: { 'Bad Header': 'x' } })).toThrow(/not a valid header name/);
  });

  it('allows one source of the Authorization header, and names the key that conflicts', () => {
    expect(checkHttpEndpointAuth({ usernameVar: 'U', passwordVar: 'P', headers: { 'X-Trace': '1' } })).toEqual([]);
    expect(checkHttpEndpointAuth({ bearerTokenVar: 'T', bearerTokenFile: '/t', headers: {} })).toEqual([
      { severity: 'error', path: ['bearerTokenFile'], message: 'bearerTokenVar and bearerTokenFile are exclusive: set one' },
    ]);
    expect(checkHttpEndpointAuth({ usernameVar: 'U', bearerTokenFile: '/t', headers: { authorization: 'x' } })).toEqual([
      { severity: 'error', path: ['bearerTokenFile'], message: 'basic auth (usernameVar) and a bearer token both set the Authorization header: set one' },
      { severity: 'error', path: ['headers', 'authorization'], message: 'conflicts with usernameVar/bearerToken*, which set the Authorization header' },
    ]);
    expect(checkHttpEndpointAuth({ passwordVar: 'P', headers: { Authorization: 'x' } })).toEqual([
      { severity: 'warning', path: ['passwordVar'], message: 'has no effect without usernameVar' },
    ]);
  });
});
