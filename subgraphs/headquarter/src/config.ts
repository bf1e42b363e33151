import { mysqlUrlSetting, redisUrlSetting } from '@x/kit';
import { z } from 'zod';

/** headquarter's settings, shared by the service and the rebuild command. */
export const headquarterConfig = {
  DATABASE_URL: mysqlUrlSetting('x_headquarter'),
  REDIS_URL: redisUrlSetting(),
  /** Every KPI key starts with it (tests use their own). */
  HQ_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (it is also a SCAN pattern), at most 64')
    .default('hq:'),
  /** How long a per-event KPI guard lives; longer than an event can wait in the retry and dead-letter queues. */
  HQ_APPLIED_GUARD_TTL_SECONDS: z.coerce.number().int().positive().default(30 * 24 * 3600),
};
