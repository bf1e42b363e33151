import { setTimeout as sleep } from 'node:timers/promises';
import { envelopeSchema, keptDataSchema, type EventEnvelope, type Logger } from '@x/kit';
import type { AuditEventRow, AuditTrail } from '../store/audit-trail';
import type { PrismaClient } from '../store/database';
import type { KpiStore } from '../store/kpis';
import type { StoreStates } from '../store/store-states';
import type { Projection } from './projections';

export interface RebuildOptions {
  db: PrismaClient;
  audit: AuditTrail;
  stores: StoreStates;
  kpis: KpiStore;
  projections: readonly Projection[];
  log: Logger;
  /** Longest a live handler's transaction can stay open (Prisma's interactive transaction limits). */
  inFlightMs?: number;
  batchSize?: number;
}

export interface RebuildReport {
  /** Events replayed (the second pass's repeats not counted twice). */
  replayed: number;
  /** Rows that no projection takes or whose payload no longer parses: left in the trail, reported. */
  skipped: { eventId: string; type: string; reason: string }[];
  keysCleared: number;
}

/**
 * Clears the read models (store states, every KPI key under the prefix) and replays the audit trail,
 * oldest arrival first, through the projections the consumer uses. The trail and the inbox stay.
 *
 * It may run while headquarter consumes: a live event either commits before the first pass reads its
 * row, or applies its KPI effect itself after the clear; the per-event guards make the repeats no-ops.
 * The one gap is an event whose handler wrote Redis before the clear and commits after the first pass
 * went by: a second pass over the rows recorded since (clear − inFlightMs), started once such
 * transactions have ended, applies it.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildReport> {
  const { db, audit, stores, kpis, log } = options;
  const inFlightMs = options.inFlightMs ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const routes = new Map(options.projections.map((projection) => [routeOf(projection.definition), projection]));
  const report: RebuildReport = { replayed: 0, skipped: [], keysCleared: 0 };
  const seen = new Set<string>();

  // recorded_at is written with the database's clock; the wait below is timed with ours.
  const [{ now: clearedAt }] = await db.$queryRaw<[{ now: Date }]>`SELECT NOW(3) AS now`;
  const clearStarted = Date.now();
  // Deleting waits for live transactions that hold a store row, so none of them commits a change the
  // delete then misses: what they wrote is in the trail the first pass reads.
  await stores.clear();
  report.keysCleared = await kpis.clear();
  log.info({ keysCleared: report.keysCleared }, 'read models cleared; replaying the audit trail');

  const replayPass = async (recordedSince?: Date) => {
    for await (const rows of audit.inArrivalOrder(batchSize, recordedSince)) {
      await db.$transaction(
        async (tx) => {
          for (const row of rows) {
            const decoded = decode(row, routes);
            if ('reason' in decoded) {
              if (!seen.has(row.eventId)) report.skipped.push({ eventId: row.eventId, type: row.type, reason: decoded.reason });
            } else {
              // Same order of writes as the live handler: SQL, then the guarded KPI effect, then the commit.
              const effect = await decoded.projection.project(decoded.event, tx);
              if (effect) await kpis.apply(decoded.event.id, effect);
              if (!seen.has(row.eventId)) report.replayed += 1;
            }
            seen.add(row.eventId);
          }
        },
        { timeout: 60_000 },
      );
    }
  };

  await replayPass();
  const settled = clearStarted + inFlightMs - Date.now();
  if (settled > 0) {
    log.info({ waitMs: settled }, 'waiting for handlers that were in flight at the clear, then a second pass');
    await sleep(settled);
  }
  await replayPass(new Date(clearedAt.getTime() - inFlightMs));
  if (report.skipped.length > 0) log.warn({ skipped: report.skipped.length, first: report.skipped[0] }, 'some audit rows could not be replayed');
  log.info({ replayed: report.replayed }, 'read models rebuilt');
  return report;
}

const routeOf = (definition: { type: string; version: number }) => `${definition.type}@${definition.version}`;

function decode(row: AuditEventRow, routes: Map<string, Projection>): { event: EventEnvelope; projection: Projection } | { reason: string } {
  let envelope;
  try {
    envelope = envelopeSchema.parse(JSON.parse(row.payload));
  } catch (error) {
    return { reason: `payload is not an event envelope: ${error instanceof Error ? error.message : String(error)}` };
  }
  const projection = routes.get(routeOf(envelope));
  if (!projection) return { reason: `no projection for ${envelope.type} v${envelope.version}` };
  const data = keptDataSchema(projection.definition).safeParse(envelope.data);
  if (!data.success) return { reason: `data no longer matches ${envelope.type} v${envelope.version}: ${data.error.message}` };
  return { event: { ...envelope, data: data.data }, projection };
}
