import { supersedes } from '@x/kit';
import { statusSinceAfter } from './store-snapshot';

const at = (iso: string) => new Date(iso);

describe('store snapshots', () => {
  it('lets revisions decide when both snapshots carry one, whatever their times', () => {
    expect(supersedes({ revision: 3, at: at('2026-01-01T00:00:00Z') }, { revision: 2, at: at('2026-06-01T00:00:00Z') })).toBe(true);
    expect(supersedes({ revision: 2, at: at('2026-06-01T00:00:00Z') }, { revision: 3, at: at('2026-01-01T00:00:00Z') })).toBe(false);
    expect(supersedes({ revision: 3, at: at('2026-06-01T00:00:00Z') }, { revision: 3, at: at('2026-01-01T00:00:00Z') })).toBe(false);
  });

  it('falls back to event times, an equal time applying', () => {
    expect(supersedes({ revision: null, at: at('2026-01-02T00:00:00Z') }, { revision: 5, at: at('2026-01-01T00:00:00Z') })).toBe(true);
    expect(supersedes({ revision: 1, at: at('2026-01-01T00:00:00Z') }, { revision: null, at: at('2026-01-01T00:00:00Z') })).toBe(true);
    expect(supersedes({ revision: null, at: at('2025-12-31T00:00:00Z') }, { revision: null, at: at('2026-01-01T00:00:00Z') })).toBe(false);
  });

  it('keeps the time a store entered its status while the status stays, and restarts it when it moves', () => {
    const since = at('2026-01-01T00:00:00Z');
    const later = at('2026-01-05T00:00:00Z');
    expect(statusSinceAfter({ status: 'PENDING_APPROVAL', statusSince: since }, { status: 'PENDING_APPROVAL', at: later })).toBe(since);
    expect(statusSinceAfter({ status: 'PENDING_APPROVAL', statusSince: since }, { status: 'OPEN', at: later })).toBe(later);
    expect(statusSinceAfter(null, { status: 'PENDING_APPROVAL', at: later })).toBe(later);
  });
});
