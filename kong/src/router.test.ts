import { parseKongConfig } from './kong-config';
import type { PluginInstance } from './plugins/plugin';
import { Router, upstreamPath } from './router';
import type { UpstreamService } from './upstreams';

describe('upstreamPath (Kong path_handling v0)', () => {
  it.each([
    // service path, request path, matched prefix, strip_path, upstream path
    ['/', '/auth/login', '/auth', false, '/auth/login'],
    ['/', '/graphql', '/graphql', false, '/graphql'],
    ['/s', '/fv0/req', '/fv0', false, '/s/fv0/req'],
    ['/s', '/fv0/req', '/fv0', true, '/s/req'],
    ['/s', '/fv0req', '/fv0', true, '/s/req'],
    ['/s', '/fv0', '/fv0', true, '/s'],
    ['/s', '/fv0/', '/fv0', true, '/s/'],
    ['/s/', '/fv0/req', '/fv0', true, '/s/req'],
    ['/s/', '/fv0req', '/fv0', true, '/s/req'],
    ['/s/', '/fv0', '/fv0', true, '/s'],
    ['/s/', '/fv0/req', '/fv0', false, '/s/fv0/req'],
    ['/', '/fv0', '/fv0', true, '/'],
  ])('service %s, request %s, prefix %s, strip %s → %s', (base, requestPath, prefix, strip, expected) => {
    const postfix = strip ? requestPath.slice(prefix.length) : '';
    expect(upstreamPath(base, requestPath, postfix, strip)).toBe(expected);
  });
});

describe('Router', () => {
  const upstream = (name: string): UpstreamService => ({
    name,
    basePath: '/',
    connectTimeoutMs: 1000,
    readTimeoutMs: 1000,
    retries: 0,
    targets: [],
    nextTarget: () => undefined,
    report: () => {},
  });
  const route = (name: string, paths: string[], extra: { methods?: ('GET' | 'POST')[]; headers?: Record<string, string[]> } = {}) => ({
    name,
    paths,
    ...extra,
  });
  const config = parseKongConfig({
    _format_version: '3.0',
    services: [
      {
        name: 'a',
        url: 'http://a',
        routes: [
          route('short-any', ['/api']),
          route('long-any', ['/api/v2']),
          route('short-get', ['/x'], { methods: ['GET'] }),
          route('long-any-x', ['/x/y']),
          route('public', ['/graphql'], { methods: ['GET', 'POST'] }),
          route('with-token', ['/graphql'], { methods: ['GET', 'POST'], headers: { Authorization: ['~*.'] } }),
          route('exact-header', ['/h'], { headers: { 'x-tenant': ['Blue', 'green'] } }),
        ],
      },
    ],
  });
  const bind = (): PluginInstance => ({ name: 'none', priority: 0 });
  const router = new Router(config, new Map([['a', upstream('a')]]), bind);

  it('matches by string prefix, as Kong does for plain paths', () => {
    expect(router.match('GET', '/apix')?.route.name).toBe('short-any');
    expect(router.match('GET', '/ap')).toBeUndefined();
  });

  it('prefers the longest prefix among routes alike', () => {
    expect(router.match('GET', '/api/v2/things')?.route.name).toBe('long-any');
    expect(router.match('GET', '/api/v1/things')?.route.name).toBe('short-any');
  });

  it('prefers a route that constrains methods over a longer one that does not', () => {
    expect(router.match('GET', '/x/y/z')?.route.name).toBe('short-get');
    expect(router.match('POST', '/x/y/z')?.route.name).toBe('long-any-x');
    expect(router.match('POST', '/x/q')).toBeUndefined();
  });

  it('prefers a route with a header condition when the header matches (regex with ~*), the other otherwise', () => {
    expect(router.match('POST', '/graphql', { authorization: 'Bearer x.y.z' })?.route.name).toBe('with-token');
    expect(router.match('POST', '/graphql', { authorization: 'garbage' })?.route.name).toBe('with-token');
    expect(router.match('POST', '/graphql', {})?.route.name).toBe('public');
  });

  it('compares plain header values without regard to case', () => {
    expect(router.match('GET', '/h', { 'x-tenant': 'blue' })?.route.name).toBe('exact-header');
    expect(router.match('GET', '/h', { 'x-tenant': 'red' })).toBeUndefined();
  });
});
