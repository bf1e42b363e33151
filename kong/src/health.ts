import type { Logger } from '@x/kit';
import { request } from 'undici';
import type { KongHealthchecks } from './kong-config';

/** What one proxied request or probe told about a target. */
export type HealthOutcome = { kind: 'http'; status: number } | { kind: 'tcp' } | { kind: 'timeout' };

interface TargetHealth {
  healthy: boolean;
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
}

type Thresholds = { successes: number; httpFailures: number; tcpFailures: number; timeouts: number; healthyStatuses: ReadonlySet<number>; unhealthyStatuses: ReadonlySet<number> };

/**
 * Kong's upstream health checks (lua-resty-healthcheck): per target counters of successes, HTTP
 * failures, TCP failures and timeouts. A healthy target that reaches a failure threshold is taken out;
 * an unhealthy one that reaches `healthy.successes` is put back. Passive checks count proxied traffic
 * (so they can take a target out but not bring it back, as in Kong); active checks probe `http_path`.
 * A threshold of 0 disables that counter, as in Kong.
 */
export class HealthChecker {
  private readonly states = new Map<string, TargetHealth>();
  private readonly active: Thresholds;
  private readonly passive: Thresholds;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private probing = false;
  private stopped = false;

  constructor(
    private readonly upstream: string,
    addresses: readonly string[],
    private readonly config: KongHealthchecks,
    private readonly log: Logger,
  ) {
    for (const address of addresses) this.states.set(address, fresh(true));
    const { active, passive } = config;
    this.active = {
      successes: active.healthy.successes,
      httpFailures: active.unhealthy.http_failures,
      tcpFailures: active.unhealthy.tcp_failures,
      timeouts: active.unhealthy.timeouts,
      healthyStatuses: new Set(active.healthy.http_statuses),
      unhealthyStatuses: new Set(active.unhealthy.http_statuses),
    };
    this.passive = {
      successes: passive.healthy.successes,
      httpFailures: passive.unhealthy.http_failures,
      tcpFailures: passive.unhealthy.tcp_failures,
      timeouts: passive.unhealthy.timeouts,
      healthyStatuses: new Set(passive.healthy.http_statuses),
      unhealthyStatuses: new Set(passive.unhealthy.http_statuses),
    };
  }

  isHealthy(address: string): boolean {
    return this.states.get(address)?.healthy ?? true;
  }

  /** A proxied request's outcome (passive check). */
  reportPassive(address: string, outcome: HealthOutcome): void {
    this.report(address, outcome, this.passive, 'passive');
  }

  /** Probes every target on its own schedule: `healthy.interval` while healthy, `unhealthy.interval` while not. */
  start(): void {
    const { healthy, unhealthy } = this.config.active;
    if (healthy.interval === 0 && unhealthy.interval === 0) return;
    this.probing = true;
    for (const address of this.states.keys()) this.schedule(address);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** (Re)plans the next probe of a target at the pace of its current state. */
  private schedule(address: string): void {
    if (this.stopped || !this.probing) return;
    clearTimeout(this.timers.get(address));
    const { healthy, unhealthy } = this.config.active;
    const seconds = this.isHealthy(address) ? healthy.interval : unhealthy.interval;
    // A state whose interval is 0 is not probed; look again at the other state's pace until it changes.
    const waitSeconds = seconds > 0 ? seconds : Math.max(healthy.interval, unhealthy.interval);
    const timer = setTimeout(() => {
      this.timers.delete(address);
      void (seconds > 0 ? this.probe(address) : Promise.resolve()).finally(() => {
        if (!this.timers.has(address)) this.schedule(address);
      });
    }, waitSeconds * 1000);
    timer.unref();
    this.timers.set(address, timer);
  }

  private async probe(address: string): Promise<void> {
    const { http_path: path, timeout } = this.config.active;
    let outcome: HealthOutcome;
    try {
      const response = await request(`http://${address}${path}`, {
        method: 'GET',
        headersTimeout: timeout * 1000,
        bodyTimeout: timeout * 1000,
        signal: AbortSignal.timeout(timeout * 1000),
      });
      await response.body.dump();
      outcome = { kind: 'http', status: response.statusCode };
    } catch (error) {
      outcome = isTimeout(error) ? { kind: 'timeout' } : { kind: 'tcp' };
    }
    if (!this.stopped) this.report(address, outcome, this.active, 'active');
  }

  private report(address: string, outcome: HealthOutcome, thresholds: Thresholds, check: 'active' | 'passive'): void {
    const state = this.states.get(address);
    if (!state) return;
    const success = outcome.kind === 'http' && thresholds.healthyStatuses.has(outcome.status);
    const failure = outcome.kind !== 'http' || thresholds.unhealthyStatuses.has(outcome.status);
    if (success) {
      if (state.healthy) {
        Object.assign(state, fresh(true));
        return;
      }
      state.successes += 1;
      if (thresholds.successes > 0 && state.successes >= thresholds.successes) this.transition(address, state, true, check, outcome);
      return;
    }
    if (!failure) return;
    if (!state.healthy) {
      state.successes = 0;
      return;
    }
    const [counter, limit] =
      outcome.kind === 'tcp'
        ? (['tcpFailures', thresholds.tcpFailures] as const)
        : outcome.kind === 'timeout'
          ? (['timeouts', thresholds.timeouts] as const)
          : (['httpFailures', thresholds.httpFailures] as const);
    state[counter] += 1;
    if (limit > 0 && state[counter] >= limit) this.transition(address, state, false, check, outcome);
  }

  private transition(address: string, state: TargetHealth, healthy: boolean, check: string, outcome: HealthOutcome): void {
    Object.assign(state, fresh(healthy));
    // A target that changed state is probed at its new pace from now on (an unhealthy one sooner).
    this.schedule(address);
    const details = { upstream: this.upstream, target: address, check, outcome: outcome.kind === 'http' ? outcome.status : outcome.kind };
    if (healthy) this.log.info(details, 'target healthy again: back in the balancer');
    else this.log.warn(details, 'target unhealthy: taken out of the balancer');
  }
}

function fresh(healthy: boolean): TargetHealth {
  return { healthy, successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 };
}

// Errors are told apart by their code and name, not instanceof: Node's own errors may come from another realm (jest).
function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

export function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  return name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/** A failure to reach the target at all: nothing was sent, so another target may take the request. */
export function isConnectFailure(error: unknown): boolean {
  const code = errorCode(error);
  return ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
}
