import type { KongConfig } from './kong-config';
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
    targets: [],
    nextTarget: () => undefined,
  });
  const route = (name: string, paths: string[], methods?: ('GET' | 'POST')[]) => ({
    name,
    paths,
    methods,
    strip_path: false,
    preserve_host: false,
    plugins: [],
  });
  const config: KongConfig = {
    _format_version: '3.0',
    upstreams: [],
    plugins: [],
    services: [
      {
        name: 'a',
        url: { host: 'a', port: 80, path: '/' },
        connect_timeout: 1000,
        read_timeout: 1000,
        plugins: [],
        routes: [route('short-any', ['/api']), route('long-any', ['/api/v2']), route('short-get', ['/x'], ['GET']), route('long-any-x', ['/x/y'])],
      },
    ],
  };
  const router = new Router(config, new Map([['a', upstream('a')]]));

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
});
