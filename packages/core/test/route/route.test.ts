import { describe, expect, it } from 'vitest';
import { Route } from '../../src/route/route.js';
import type { Change, ResourceRef } from '../../src/types.js';
import type { ResolvedResource } from '../../src/watch/watch-event.js';

function resource(name: string, ref: Partial<ResourceRef>): ResolvedResource {
  return { name, ref: { group: '', version: 'v1', resource: name, kind: 'X', namespaced: true, ...ref } };
}
const services = resource('services', {});
const namespaces = resource('namespaces', { namespaced: false });
const nodes = resource('nodes', { namespaced: false });
const deployments = resource('deployments', { group: 'apps' });
const certs = resource('certificates.cert-manager.io', { group: 'cert-manager.io', resource: 'certificates' });

function change(name: string, namespace: string): Change {
  return { name, namespace } as Change;
}

describe('Route', () => {
  it('lets everything through without filters', () => {
    expect(new Route().matches(change('n1', ''), nodes)).toBe(true);
    expect(new Route({ namespaces: [], resourceTypes: [] }).matches(change('a', 'x'), services)).toBe(true);
  });

  it('filters by the real namespace, exactly; Namespace objects match by their own name', () => {
    const route = new Route({ namespaces: ['team-a'] });
    expect(route.matches(change('s', 'team-a'), services)).toBe(true);
    expect(route.matches(change('s', 'team-ab'), services)).toBe(false);
    expect(route.matches(change('team-a', ''), namespaces)).toBe(true);
    expect(route.matches(change('team-b', ''), namespaces)).toBe(false);
    expect(route.matches(change('node-1', ''), nodes)).toBe(false);
    // the original's selfLink substring match let "v1" or "apps" through; an exact match does not
    expect(new Route({ namespaces: ['v1'] }).matches(change('s', 'team-a'), services)).toBe(false);
  });

  it('filters by resource: configured name, plural, or plural.group', () => {
    expect(new Route({ resourceTypes: ['services'] }).matches(change('s', 'a'), services)).toBe(true);
    // the original's `namespaces` resourceType matched every namespaced object
    expect(new Route({ resourceTypes: ['namespaces'] }).matches(change('s', 'a'), services)).toBe(false);
    expect(new Route({ resourceTypes: ['namespaces'] }).matches(change('a', ''), namespaces)).toBe(true);
    expect(new Route({ resourceTypes: ['deployments.apps'] }).matches(change('d', 'a'), deployments)).toBe(true);
    expect(new Route({ resourceTypes: ['certificates'] }).matches(change('c', 'a'), certs)).toBe(true);
    expect(new Route({ resourceTypes: ['certificates.cert-manager.io'] }).matches(change('c', 'a'), certs)).toBe(true);
  });

  it('requires both filters to pass', () => {
    const route = new Route({ namespaces: ['a'], resourceTypes: ['services'] });
    expect(route.matches(change('s', 'a'), services)).toBe(true);
    expect(route.matches(change('d', 'a'), deployments)).toBe(false);
    expect(route.matches(change('s', 'b'), services)).toBe(false);
  });
});
