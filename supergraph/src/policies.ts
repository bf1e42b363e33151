import type { ApolloServerPlugin } from '@apollo/server';
import { bearerToken, Breaker, type GatewayContext, type Logger, type TokenVerifier } from '@x/kit';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { checkLimits, type OperationLimits } from './limits';

/**
 * Each consumer (a user by the token's subject, otherwise an address) gets a budget of query cost per
 * minute, shared by every gateway replica through Redis. Kong's open-source rate limiting counts
 * requests, and one GraphQL request can cost anything: this is the limit by what a request asks for.
 * Redis down: the budget is kept per replica (fail open towards Redis, never towards the limit), and
 * after a failure Redis is skipped for the breaker's cool-down, so a Redis that hangs does not hold every request.
 */
export class CostBudgets {
  private readonly local = new Map<string, number>();
  private redisDown = false;
  private readonly redisBreaker: Breaker;

  constructor(
    private readonly options: {
      perMinute: number;
      redis?: Redis;
      keyPrefix?: string;
      log: Logger;
      now?: () => number;
      /** After Redis failed, requests count per replica for its cool-down instead of each waiting on Redis. */
      redisBreaker?: Breaker;
    },
  ) {
    this.redisBreaker = options.redisBreaker ?? new Breaker();
  }

  async spend(consumer: string, cost: number): Promise<{ allowed: boolean; used: number; retryAfterSeconds: number }> {
    const now = this.options.now?.() ?? Date.now();
    const window = Math.floor(now / 60_000);
    const retryAfterSeconds = Math.max(1, 60 - Math.floor((now % 60_000) / 1000));
    const key = `${this.options.keyPrefix ?? 'x:gateway:cost:'}${consumer}:${window}`;
    const { redis } = this.options;
    const used = redis
      ? await this.redisBreaker.run(
          () => this.spendInRedis(redis, key, cost),
          (error) => {
            if (!this.redisDown) {
              this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'cost budgets: Redis unavailable, counting per gateway replica');
            }
            this.redisDown = true;
            return this.spendLocally(key, cost);
          },
        )
      : this.spendLocally(key, cost);
    return { allowed: used <= this.options.perMinute, used, retryAfterSeconds };
  }

  private async spendInRedis(redis: Redis, key: string, cost: number): Promise<number> {
    const results = await redis.multi().incrby(key, cost).expire(key, 120).exec();
    const [error, total] = results?.[0] ?? [new Error('no answer')];
    if (error) throw error;
    if (this.redisDown) this.options.log.info('cost budgets: Redis reachable again');
    this.redisDown = false;
    return Number(total);
  }

  private spendLocally(key: string, cost: number): number {
    const used = (this.local.get(key) ?? 0) + cost;
    this.local.set(key, used);
    if (this.local.size > 10_000) this.local.delete(this.local.keys().next().value!);
    return used;
  }
}

/**
 * Who a request is counted against: the verified token's subject (verdicts cached until the token
 * expires, at most a minute), else the caller's address. A token that does not verify counts as its
 * address: the subgraphs refuse it anyway.
 */
export function consumerIdentifier(verifyToken: TokenVerifier): (context: GatewayContext, authorization: string | undefined) => Promise<string> {
  const verdicts = new Map<string, { consumer: string; untilMs: number }>();
  return async (context, authorization) => {
    let token: string | undefined;
    try {
      token = bearerToken(authorization);
    } catch {
      token = undefined;
    }
    const byAddress = `ip:${context.clientIp ?? 'unknown'}`;
    if (!token) return byAddress;
    const now = Date.now();
    const cached = verdicts.get(token);
    if (cached && cached.untilMs > now) return cached.consumer;
    try {
      const principal = await verifyToken(token);
      const consumer = `user:${principal.userId}`;
      const exp = expiryOf(token);
      if (verdicts.size >= 10_000) verdicts.delete(verdicts.keys().next().value!);
      verdicts.set(token, { consumer, untilMs: Math.min(now + 60_000, exp ?? now) });
      return consumer;
    } catch {
      return byAddress;
    }
  };
}

function expiryOf(token: string): number | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && 'exp' in payload && typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface GatewayPolicyOptions {
  limits: OperationLimits;
  budgets: CostBudgets;
  identify: (context: GatewayContext, authorization: string | undefined) => Promise<string>;
  /** How long the edge may cache an anonymous GET query's answer (public data only reaches anonymous callers). */
  publicMaxAgeSeconds: number;
}

/**
 * The gateway's rules per operation: depth, alias and cost limits (clear codes, HTTP 400), the
 * consumer's cost budget (429 with Retry-After), and the Cache-Control the edge's proxy-cache obeys:
 * an anonymous GET query answered without errors is public for `publicMaxAgeSeconds`; everything else
 * keeps Apollo's `no-store`.
 */
export function gatewayPolicies(options: GatewayPolicyOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { operation, document, schema, request, contextValue } = requestContext;
          if (!operation) return;
          const { error, cost } = checkLimits(options.limits, schema, document, operation, request.variables ?? {});
          if (error) throw error;
          const consumer = await options.identify(contextValue, request.http?.headers.get('authorization'));
          const spent = await options.budgets.spend(consumer, cost);
          if (!spent.allowed) {
            throw new GraphQLError(`this caller's query cost budget for the minute is spent; try again in ${spent.retryAfterSeconds} s`, {
              extensions: {
                code: 'COST_BUDGET_EXCEEDED',
                retryAfterSeconds: spent.retryAfterSeconds,
                http: { status: 429, headers: new Map([['retry-after', String(spent.retryAfterSeconds)]]) },
              },
            });
          }
        },
        async willSendResponse(requestContext) {
          const { request, response, operation } = requestContext;
          const anonymous = !request.http?.headers.get('authorization');
          const clean = response.body.kind === 'single' && !response.body.singleResult.errors;
          if (request.http?.method === 'GET' && anonymous && operation?.operation === 'query' && clean && options.publicMaxAgeSeconds > 0) {
            requestContext.overallCachePolicy.replace({ maxAge: options.publicMaxAgeSeconds, scope: 'PUBLIC' });
          }
        },
      };
    },
  };
}
