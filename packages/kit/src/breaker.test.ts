import { Breaker } from './breaker';

/** A dependency whose answers the test decides, counting the calls that reach it. */
function dependency() {
  const state = { calls: 0, failing: false };
  return {
    state,
    call: async () => {
      state.calls += 1;
      if (state.failing) throw new Error('timed out');
      return 'from the dependency';
    },
  };
}

const fallback = (error: unknown) => `fallback (${error instanceof Error ? error.message : String(error)})`;

describe('Breaker', () => {
  let clock: number;
  let breaker: Breaker;
  beforeEach(() => {
    clock = 1_000_000;
    breaker = new Breaker({ coolDownMs: 1_000, now: () => clock });
  });

  it('calls the dependency while it answers', async () => {
    const redis = dependency();
    expect(await breaker.run(redis.call, fallback)).toBe('from the dependency');
    expect(await breaker.run(redis.call, fallback)).toBe('from the dependency');
    expect(redis.state.calls).toBe(2);
  });

  it('hands the failure to the fallback, then skips the dependency until the cool-down is over', async () => {
    const redis = dependency();
    redis.state.failing = true;
    expect(await breaker.run(redis.call, fallback)).toBe('fallback (timed out)');
    clock += 999;
    expect(await breaker.run(redis.call, fallback)).toMatch(/^fallback \(skipped/);
    expect(redis.state.calls).toBe(1);
    clock += 1;
    expect(await breaker.run(redis.call, fallback)).toBe('fallback (timed out)');
    expect(redis.state.calls).toBe(2);
  });

  it('after the cool-down lets one call try the dependency, skips the others meanwhile, and closes when it answers', async () => {
    const redis = dependency();
    redis.state.failing = true;
    await breaker.run(redis.call, fallback);
    redis.state.failing = false;
    clock += 1_000;
    let answer: (value: string) => void = () => {};
    const probe = breaker.run(() => new Promise<string>((resolve) => (answer = resolve)), fallback);
    expect(await breaker.run(redis.call, fallback)).toMatch(/^fallback \(skipped/);
    answer('probe answered');
    expect(await probe).toBe('probe answered');
    expect(await breaker.run(redis.call, fallback)).toBe('from the dependency');
    expect(await breaker.run(redis.call, fallback)).toBe('from the dependency');
    expect(redis.state.calls).toBe(3);
  });

  it('starts another cool-down, from the time of the failure, when the trial call fails', async () => {
    const redis = dependency();
    redis.state.failing = true;
    await breaker.run(redis.call, fallback);
    clock += 1_500;
    expect(await breaker.run(redis.call, fallback)).toBe('fallback (timed out)');
    clock += 999;
    expect(await breaker.run(redis.call, fallback)).toMatch(/^fallback \(skipped/);
    expect(redis.state.calls).toBe(2);
  });

  it('times the cool-down from when the failing call gave up, not from when it started', async () => {
    let fail: (error: Error) => void = () => {};
    const slow = breaker.run(() => new Promise<string>((_resolve, reject) => (fail = reject)), fallback);
    clock += 500;
    fail(new Error('timed out'));
    expect(await slow).toBe('fallback (timed out)');
    const redis = dependency();
    clock += 999;
    expect(await breaker.run(redis.call, fallback)).toMatch(/^fallback \(skipped/);
    clock += 1;
    expect(await breaker.run(redis.call, fallback)).toBe('from the dependency');
  });

  it('defaults to a cool-down of one second', async () => {
    const defaults = new Breaker({ now: () => clock });
    const redis = dependency();
    redis.state.failing = true;
    await defaults.run(redis.call, fallback);
    clock += 999;
    await defaults.run(redis.call, fallback);
    clock += 1;
    await defaults.run(redis.call, fallback);
    expect(redis.state.calls).toBe(2);
  });
});
