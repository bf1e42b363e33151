import { mysqlUrlSetting, parseMysqlUrl, redisUrlSetting } from '@x/kit';
import { z } from 'zod';

/** headquarter's settings, shared by the service and the rebuild command. */
export const headquarterConfig = {
  DATABASE_URL: mysqlUrlSetting('x_headquarter'),
  REDIS_URL: redisUrlSetting(),
  /** Every KPI key starts with it; by default the database's name and a colon (see kpiPrefix). */
  HQ_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (it is also a SCAN pattern), at most 64')
    .optional(),
  /** How long a per-event KPI guard lives; longer than an event can wait in the retry and dead-letter queues. */
  HQ_APPLIED_GUARD_TTL_SECONDS: z.coerce.number().int().positive().default(30 * 24 * 3600),
};

/**
 * The KPIs belong to the audit trail they are built from, so by default their keys are named after
 * its database (`x_headquarter:`): platforms that share one Redis (a developer's, a test run's) keep
 * their KPIs apart, and a rebuild clears only its own.
 */
export function kpiPrefix(config: { DATABASE_URL: string; HQ_REDIS_PREFIX?: string | undefined }): string {
  return config.HQ_REDIS_PREFIX ?? `${parseMysqlUrl(config.DATABASE_URL).database}:`;
}
