import { parseKongConfig } from './kong-config';
import { buildUpstreamServices, type UpstreamResolution } from './upstreams';

const config = parseKongConfig({
  _format_version: '3.0',
  upstreams: [
    {
      name: 'gateway-upstream',
      targets: [
        { target: 'gateway:4000', weight: 200 },
        { target: 'gateway-2:4000', weight: 100 },
        { target: 'gateway-3:4000', weight: 0 },
      ],
    },
    { name: 'drained', targets: [{ target: 'old:1', weight: 0 }] },
  ],
  services: [
    { name: 'gateway', url: 'http://gateway-upstream:4000' },
    { name: 'auth', url: 'http://auth:3000' },
    { name: 'partner', url: 'http://partner.example.com:443/api' },
    { name: 'legacy', url: 'http://drained' },
  ],
});

const bareMachine: UpstreamResolution = { platformHosts: new Set(['gateway', 'gateway-2', 'auth', 'store']), platformAddress: '127.0.0.1' };

function targetsOf(resolution: UpstreamResolution, service: string, picks: number): (string | undefined)[] {
  const upstream = buildUpstreamServices(config, resolution).services.get(service);
  return Array.from({ length: picks }, () => upstream?.nextTarget());
}

describe('buildUpstreamServices', () => {
  it('resolves platform host names to the local address and leaves other hosts alone', () => {
    expect(targetsOf(bareMachine, 'auth', 1)).toEqual(['127.0.0.1:3000']);
    expect(targetsOf(bareMachine, 'partner', 1)).toEqual(['partner.example.com:443']);
  });

  it('spreads requests over an upstream’s targets by weight, skipping weight 0', () => {
    const picks = targetsOf({ ...bareMachine, overrides: { gateway: '127.0.0.1:4101', 'gateway-2': '127.0.0.1:4102' } }, 'gateway', 6);
    expect(picks.filter((target) => target === '127.0.0.1:4101')).toHaveLength(4);
    expect(picks.filter((target) => target === '127.0.0.1:4102')).toHaveLength(2);
    // Smooth round-robin interleaves rather than sending bursts to the heavier target.
    expect(picks.slice(0, 3)).toEqual(['127.0.0.1:4101', '127.0.0.1:4102', '127.0.0.1:4101']);
  });

  it('has no target for an upstream whose targets all weigh 0', () => {
    expect(targetsOf(bareMachine, 'legacy', 1)).toEqual([undefined]);
  });

  it('replaces every target by an override naming the upstream, or a service whose name is no host', () => {
    expect(targetsOf({ ...bareMachine, overrides: { 'gateway-upstream': '127.0.0.1:5000' } }, 'gateway', 2)).toEqual(['127.0.0.1:5000', '127.0.0.1:5000']);
    expect(targetsOf({ ...bareMachine, overrides: { partner: '127.0.0.1:5001' } }, 'partner', 1)).toEqual(['127.0.0.1:5001']);
  });

  it('expands a name with several addresses (replicas) into one target each, at the target’s weight', () => {
    const picks = targetsOf({ ...bareMachine, overrides: { gateway: '127.0.0.1:4101,127.0.0.1:4103', 'gateway-2': '127.0.0.1:4102' } }, 'gateway', 5);
    expect(picks.sort()).toEqual(['127.0.0.1:4101', '127.0.0.1:4101', '127.0.0.1:4102', '127.0.0.1:4103', '127.0.0.1:4103']);
  });

  it('replaces one host wherever kong.yml uses it', () => {
    expect(targetsOf({ ...bareMachine, overrides: { auth: '10.0.0.9:3999' } }, 'auth', 1)).toEqual(['10.0.0.9:3999']);
    const picks = targetsOf({ ...bareMachine, overrides: { 'gateway-2': '127.0.0.1:4102' } }, 'gateway', 3);
    expect(picks).toEqual(['127.0.0.1:4000', '127.0.0.1:4102', '127.0.0.1:4000']);
  });

  it('accepts platform hosts kong.yml does not route to yet, and refuses other unknown names and bad addresses', () => {
    expect(() => buildUpstreamServices(config, { ...bareMachine, overrides: { store: '127.0.0.1:30040' } })).not.toThrow();
    expect(() => buildUpstreamServices(config, { ...bareMachine, overrides: { payments: '127.0.0.1:1' } })).toThrow(/"payments" names no service/);
    expect(() => buildUpstreamServices(config, { ...bareMachine, overrides: { auth: 'localhost' } })).toThrow(/"localhost" is not host:port/);
  });
});
