import { averageMinutes, dayOf, deliveredOrder, orderStatuses, p90Index, statusRank } from './kpis';

describe('order progress', () => {
  it('ranks every status, with the happy path strictly increasing and the three endings on top', () => {
    const happy = ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED'] as const;
    expect(happy.map((status) => statusRank[status])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Object.keys(statusRank).sort()).toEqual([...orderStatuses].sort());
    expect([statusRank.REJECTED, statusRank.CANCELLED]).toEqual([5, 5]);
  });
});

describe('delivery facts', () => {
  it('counts revenue on the UTC day of delivery and times the delivery from placement', () => {
    const facts = deliveredOrder({ placedAt: '2026-11-24T23:30:00.000Z', deliveredAt: '2026-11-25T00:15:00.000Z', totalMinor: 1500, currency: 'EUR' });
    expect(facts).toEqual({ day: '2026-11-25', currency: 'EUR', totalMinor: 1500, deliveryMs: 45 * 60_000 });
  });

  it('never times a delivery below zero when the clocks disagree', () => {
    expect(deliveredOrder({ placedAt: '2026-11-24T10:00:01.000Z', deliveredAt: '2026-11-24T10:00:00.000Z', totalMinor: 1, currency: 'EUR' }).deliveryMs).toBe(0);
  });

  it('formats a day as YYYY-MM-DD in UTC', () => {
    expect(dayOf(new Date('2026-01-02T03:04:05.000Z'))).toBe('2026-01-02');
  });
});

describe('percentile and average', () => {
  it('takes the 90th percentile by nearest rank', () => {
    expect(p90Index(0)).toBeNull();
    expect(p90Index(1)).toBe(0);
    expect(p90Index(10)).toBe(8);
    expect(p90Index(11)).toBe(9);
    expect(p90Index(100)).toBe(89);
  });

  it('averages in minutes and has no average without deliveries', () => {
    expect(averageMinutes(0, 0)).toBeNull();
    expect(averageMinutes(3 * 60_000 + 6 * 60_000, 2)).toBe(4.5);
  });
});
