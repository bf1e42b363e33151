import { findCapacity, whyMissed, type CapacityRun } from './capacity';
import type { ThroughputFigures } from './throughput';

const limits = { p99PlacedToDeliveredMs: 5_000, drainSeconds: 5 };

/** A run at `rate` that delivered every order, with p99 `p99Ms` and the given changes. */
function run(rate: number, seconds: number, p99Ms: number, changes: Partial<ThroughputFigures> = {}): Omit<CapacityRun, 'missed'> & { figures: ThroughputFigures } {
  const placed = rate * seconds;
  const figures: ThroughputFigures = {
    placingSeconds: seconds,
    targetPerSecond: rate,
    customers: 16,
    ordersPlaced: placed,
    ordersDelivered: placed,
    ordersLost: 0,
    ordersRejected: 0,
    deliveredInDatabase: placed,
    placedPerSecond: rate,
    deliveredPerSecond: rate,
    drainSeconds: 1,
    placedToDelivered: { p50Ms: p99Ms / 2, p99Ms, samples: placed },
    requests: placed * 7,
    retriedErrors: {},
    outboxPeak: {},
    queuePeak: {},
    ...changes,
  };
  return { ratePerSecond: rate, seconds, figures, cpuSeconds: { order: placed * 0.01, MariaDB: placed * 0.005 } };
}

describe('whyMissed', () => {
  it('holds a run that delivered every order in time, and names the first limit a run missed', () => {
    expect(whyMissed(run(10, 20, 900), limits)).toBeUndefined();
    expect(whyMissed(run(10, 20, 5_200), limits)).toBe('p99 placed→delivered 5.2 s');
    expect(whyMissed(run(10, 20, 900, { ordersLost: 2 }), limits)).toBe('2 orders lost');
    expect(whyMissed(run(10, 20, 900, { retriedErrors: { SERVICE_UNAVAILABLE: 3 } }), limits)).toBe('3 requests shed (3 SERVICE_UNAVAILABLE)');
    expect(whyMissed(run(10, 20, 900, { drainSeconds: 7 }), limits)).toBe('drain 7 s');
    expect(whyMissed(run(10, 20, 900, { placedPerSecond: 8 }), limits)).toBe('placed only 8/s');
  });
});

describe('findCapacity', () => {
  it('steps up until a rate misses, confirms the highest that held, and reports CPU per delivered order', async () => {
    const asked: [number, number][] = [];
    const figures = await findCapacity(
      async (rate, seconds) => {
        asked.push([rate, seconds]);
        return run(rate, seconds, rate >= 30 ? 6_000 : 1_000);
      },
      { rates: [10, 20, 30, 40], stepSeconds: 20, confirmSeconds: 60, limits, say: () => undefined },
    );
    expect(asked).toEqual([[10, 20], [20, 20], [30, 20], [20, 60]]);
    expect(figures.maxSustainedPerSecond).toBe(20);
    expect(figures.steps.map((step) => step.missed)).toEqual([undefined, undefined, 'p99 placed→delivered 6 s']);
    expect(figures.cpuMsPerOrder).toBe(15);
    expect(figures.cpuMsPerOrderByProcess).toEqual({ order: 10, MariaDB: 5 });
  });

  it('falls back to the rate below when the confirming run misses, and to none when nothing held', async () => {
    const flaky = await findCapacity(async (rate, seconds) => run(rate, seconds, rate === 20 && seconds === 60 ? 7_000 : rate >= 30 ? 6_000 : 1_000), {
      rates: [10, 20, 30],
      stepSeconds: 20,
      confirmSeconds: 60,
      limits,
      say: () => undefined,
    });
    expect(flaky.maxSustainedPerSecond).toBe(10);
    expect(flaky.confirmed?.ratePerSecond).toBe(10);

    const none = await findCapacity(async (rate, seconds) => run(rate, seconds, 9_000), { rates: [10, 20], stepSeconds: 20, confirmSeconds: 60, limits, say: () => undefined });
    expect(none.maxSustainedPerSecond).toBe(0);
    expect(none.steps).toHaveLength(1);
    expect(none.confirmed).toBeUndefined();
  });

  it('counts a run that failed outright as missed, with its error, and stops stepping there', async () => {
    const figures = await findCapacity(
      async (rate, seconds) => {
        if (rate === 20) throw new Error('placeOrder: BAD_USER_INPUT');
        return run(rate, seconds, 1_000);
      },
      { rates: [10, 20, 30], stepSeconds: 20, confirmSeconds: 60, limits, say: () => undefined },
    );
    expect(figures.steps.map((step) => step.missed)).toEqual([undefined, 'failed: placeOrder: BAD_USER_INPUT']);
    expect(figures.maxSustainedPerSecond).toBe(10);
  });
});
