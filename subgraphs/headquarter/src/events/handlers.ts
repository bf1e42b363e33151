import { eventCatalog, subscriptionsFor, withoutPersonalData, type EventDefinition, type Subscription } from '@x/kit';
import type { AuditTrail } from '../store/audit-trail';
import type { Transaction } from '../store/database';
import type { KpiStore } from '../store/kpis';
import type { Projection } from './projections';

/** Every event type of the platform: the audit trail records them all (one projection each). */
export const consumedEvents: readonly EventDefinition[] = eventCatalog;

/**
 * Headquarter's queue is bound to every event type it has a projection for, i.e. all of them. Each
 * event runs in the consumer's SQL transaction, which also writes its inbox row.
 *
 * Order of writes, which keeps the Redis KPIs exact although Redis is outside that transaction:
 *   1. inbox row, audit row and SQL read models (uncommitted);
 *   2. the KPI effect in Redis, in one Lua script that first does SET <prefix>applied:<event id> NX;
 *   3. the SQL commit, then the ack.
 * A failure before 2 leaves Redis untouched and rolls SQL back: the redelivery does everything. A
 * failure between 2 and 3 (commit refused, process killed) rolls SQL back but leaves the effect and
 * its guard in Redis: the redelivery redoes the SQL and the guard skips the effect. After 3 the inbox
 * refuses the event. Redis is never written after the commit: a crash between the two would lose the
 * effect with nothing left to redo it.
 *
 * The trail keeps events without their personal fields (the contracts' personalData: e-mail, name,
 * addresses), and projections see the event as the trail keeps it, so a rebuild from the trail gives
 * the live read models and an erased account leaves nothing personal here.
 */
export function headquarterSubscriptions(projections: readonly Projection[], audit: AuditTrail, kpis: KpiStore): Subscription<Transaction>[] {
  return subscriptionsFor(
    consumedEvents,
    projections.map((projection) => ({
      definition: projection.definition,
      handle: async function recordInTrailAndProject(received, tx: Transaction) {
        const event = withoutPersonalData(received, projection.definition);
        if (!(await audit.record(tx, event, projection.actorOf(event)))) return;
        const effect = await projection.project(event, tx);
        if (effect) await kpis.apply(event.id, effect);
      },
    })),
  );
}
