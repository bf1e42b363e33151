import { supersedes } from './snapshots';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds));

describe('supersedes', () => {
  it('lets a higher revision win when both snapshots carry one, whatever their times', () => {
    expect(supersedes({ revision: 4, at: at(1) }, { revision: 3, at: at(9) })).toBe(true);
    expect(supersedes({ revision: 3, at: at(9) }, { revision: 3, at: at(1) })).toBe(false);
    expect(supersedes({ revision: 2, at: at(9) }, { revision: 3, at: at(1) })).toBe(false);
  });

  it('falls back to event times when either lacks a revision, applying the same time again (a redelivery)', () => {
    expect(supersedes({ revision: null, at: at(5) }, { revision: 3, at: at(4) })).toBe(true);
    expect(supersedes({ revision: 7, at: at(3) }, { revision: null, at: at(4) })).toBe(false);
    expect(supersedes({ revision: null, at: at(4) }, { revision: null, at: at(4) })).toBe(true);
  });
});
