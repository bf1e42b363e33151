export interface BreakerOptions {
  /** How long calls skip the dependency after a call to it failed (default 1 s). */
  coolDownMs?: number;
  /** The clock (injected by tests). */
  now?: () => number;
}

/**
 * Skips a dependency for a cool-down after a call to it failed, so that a dependency that hangs costs
 * one timeout per cool-down instead of one per call. When the cool-down is over, one call tries the
 * dependency again while the others keep skipping it (half-open); its success closes the breaker, its
 * failure starts another cool-down.
 */
export class Breaker {
  /** When the cool-down ends; undefined while the dependency is trusted. */
  private openUntilMs: number | undefined;
  private probing = false;

  constructor(private readonly options: BreakerOptions = {}) {}

  /** `call`'s result; `fallback`'s when `call` fails, or at once while the dependency is skipped. */
  async run<T>(call: () => Promise<T>, fallback: (error: unknown) => T | Promise<T>): Promise<T> {
    const now = this.now();
    if (this.openUntilMs !== undefined && (now < this.openUntilMs || this.probing)) {
      return fallback(new Error(`skipped: the dependency failed less than ${this.coolDownMs} ms ago`));
    }
    const probe = this.openUntilMs !== undefined;
    if (probe) this.probing = true;
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.openUntilMs = this.now() + this.coolDownMs;
      return fallback(error);
    } finally {
      if (probe) this.probing = false;
    }
    this.openUntilMs = undefined;
    return result;
  }

  private get coolDownMs(): number {
    return this.options.coolDownMs ?? 1_000;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
