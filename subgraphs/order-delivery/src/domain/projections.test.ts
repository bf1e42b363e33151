import { supersedes } from '@x/kit';
import { advancesOrder } from './projections';

describe('the order projection', () => {
  it('moves forward only, and CANCELLED is final', () => {
    expect(advancesOrder(null, 'PREPARING')).toBe(true);
    expect(advancesOrder('PREPARING', 'READY_FOR_PICKUP')).toBe(true);
    expect(advancesOrder('READY_FOR_PICKUP', 'CANCELLED')).toBe(true);
    expect(advancesOrder('READY_FOR_PICKUP', 'PREPARING')).toBe(false);
    expect(advancesOrder('CANCELLED', 'PREPARING')).toBe(false);
    expect(advancesOrder('CANCELLED', 'READY_FOR_PICKUP')).toBe(false);
    expect(advancesOrder('PREPARING', 'PREPARING')).toBe(false);
  });
});

describe('the store projection', () => {
  const at = (iso: string) => new Date(iso);
  it('applies a higher revision and drops a lower one, whatever the event times', () => {
    expect(supersedes({ revision: 3, at: at('2026-01-01T00:00:00Z') }, { revision: 2, at: at('2026-01-02T00:00:00Z') })).toBe(true);
    expect(supersedes({ revision: 2, at: at('2026-01-03T00:00:00Z') }, { revision: 3, at: at('2026-01-02T00:00:00Z') })).toBe(false);
  });

  it('falls back to event times without revisions, and re-applies the same snapshot harmlessly', () => {
    expect(supersedes({ revision: null, at: at('2026-01-02T00:00:00Z') }, { revision: 1, at: at('2026-01-01T00:00:00Z') })).toBe(true);
    expect(supersedes({ revision: null, at: at('2026-01-01T00:00:00Z') }, { revision: null, at: at('2026-01-02T00:00:00Z') })).toBe(false);
    expect(supersedes({ revision: null, at: at('2026-01-01T00:00:00Z') }, { revision: null, at: at('2026-01-01T00:00:00Z') })).toBe(true);
  });
});
