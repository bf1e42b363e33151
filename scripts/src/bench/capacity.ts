import { round } from './load';
import type { ThroughputFigures } from './throughput';

/** One open-loop run at a fixed rate, with the CPU seconds each process spent during it. */
export interface CapacityRun {
  ratePerSecond: number;
  seconds: number;
  /** Absent when the run failed outright (see missed). */
  figures?: ThroughputFigures;
  /** CPU seconds per process (X's processes, MariaDB, RabbitMQ, Redis) from the first order to the drain. */
  cpuSeconds: Record<string, number>;
  /** Why this rate did not hold (p99 over the limit, orders shed or lost, a slow drain); absent when it held. */
  missed?: string;
}

export interface CapacityFigures {
  /** The limits a rate had to keep to hold. */
  limits: { p99PlacedToDeliveredMs: number; drainSeconds: number };
  /** The stepped runs, lowest rate first, up to the first that did not hold. */
  steps: CapacityRun[];
  /** The highest rate that held for the confirming run's full length (0 when none did). */
  maxSustainedPerSecond: number;
  /** The run that confirmed it (the full length at that rate). */
  confirmed?: CapacityRun;
  /** CPU per delivered order in the confirming run (or, when none held, the last run that completed): all processes, and each one. */
  cpuMsPerOrder?: number;
  cpuMsPerOrderByProcess?: Record<string, number>;
}

export type RunAtRate = (ratePerSecond: number, seconds: number) => Promise<Omit<CapacityRun, 'missed'> & { figures: ThroughputFigures }>;

/** Why a run did not hold, or undefined when it did: every order delivered in time, none shed, lost or late. */
export function whyMissed(run: { ratePerSecond: number; figures: ThroughputFigures }, limits: CapacityFigures['limits']): string | undefined {
  const { figures } = run;
  const shed = Object.values(figures.retriedErrors).reduce((sum, count) => sum + count, 0);
  if (figures.ordersLost > 0) return `${figures.ordersLost} orders lost`;
  if (figures.ordersRejected > 0) return `${figures.ordersRejected} orders rejected`;
  if (shed > 0) return `${shed} requests shed (${Object.entries(figures.retriedErrors).map(([code, count]) => `${count} ${code}`).join(', ')})`;
  if (figures.placedToDelivered.p99Ms > limits.p99PlacedToDeliveredMs) return `p99 placed→delivered ${round(figures.placedToDelivered.p99Ms / 1000, 1)} s`;
  if (figures.drainSeconds > limits.drainSeconds) return `drain ${figures.drainSeconds} s`;
  if (figures.placedPerSecond < run.ratePerSecond * 0.95) return `placed only ${figures.placedPerSecond}/s`;
  return undefined;
}

/**
 * The highest order rate the platform sustains: short runs at rising rates until one misses a limit,
 * then the highest rate that held, again for the full length (and, should that miss, the rate below).
 */
export async function findCapacity(
  runAt: RunAtRate,
  options: { rates: readonly number[]; stepSeconds: number; confirmSeconds: number; limits: CapacityFigures['limits']; say: (line: string) => void },
): Promise<CapacityFigures> {
  const steps: CapacityRun[] = [];
  // A run that fails outright (a client error the load may not retry) missed, with the reason.
  const attempt = async (rate: number, seconds: number): Promise<CapacityRun> => {
    try {
      const run = await runAt(rate, seconds);
      return { ...run, missed: whyMissed(run, options.limits) };
    } catch (error) {
      return { ratePerSecond: rate, seconds, cpuSeconds: {}, missed: `failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  for (const rate of options.rates) {
    const step = await attempt(rate, options.stepSeconds);
    steps.push(step);
    options.say(`  ${rate} orders/s for ${options.stepSeconds} s: ${step.missed ? `missed (${step.missed})` : `held (p99 ${round((step.figures?.placedToDelivered.p99Ms ?? 0) / 1000, 2)} s)`}`);
    if (step.missed) break;
  }
  const held = steps.filter((step) => !step.missed).map((step) => step.ratePerSecond);
  const figures: CapacityFigures = { limits: options.limits, steps, maxSustainedPerSecond: 0 };
  for (const rate of [...held].reverse().slice(0, 2)) {
    const confirmed = await attempt(rate, options.confirmSeconds);
    options.say(`  confirming ${rate} orders/s for ${options.confirmSeconds} s: ${confirmed.missed ? `missed (${confirmed.missed})` : 'held'}`);
    figures.confirmed = confirmed;
    if (confirmed.missed) continue;
    figures.maxSustainedPerSecond = rate;
    break;
  }
  // When no rate held, the last run that completed still tells where the CPU went.
  const measured = figures.confirmed?.figures ? figures.confirmed : steps.findLast((step) => step.figures);
  const delivered = measured?.figures?.ordersDelivered ?? 0;
  if (measured && delivered > 0) {
    const perOrder = (seconds: number) => round((seconds * 1000) / delivered, 1);
    figures.cpuMsPerOrderByProcess = Object.fromEntries(Object.entries(measured.cpuSeconds).map(([name, seconds]) => [name, perOrder(seconds)]));
    figures.cpuMsPerOrder = perOrder(Object.values(measured.cpuSeconds).reduce((sum, seconds) => sum + seconds, 0));
  }
  return figures;
}
