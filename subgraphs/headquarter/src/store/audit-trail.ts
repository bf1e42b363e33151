import type { EventEnvelope } from '@x/kit';
import type { AuditEvent } from './generated/client';
import type { PrismaClient, Transaction } from './database';

export type AuditEventRow = AuditEvent;

export interface AuditFilter {
  entityId?: string;
  correlationId?: string;
}

/** Rows after this one in the trail's reading order (time the event happened, then arrival). */
export interface AuditCursor {
  occurredAt: Date;
  seq: bigint;
}

/** The append-only trail of every event headquarter consumed. Nothing here updates or deletes a row. */
export class AuditTrail {
  constructor(private readonly db: PrismaClient) {}

  /**
   * Appends the event in the handler's transaction; false when the trail already holds it (the inbox
   * normally says so first: this keeps a purged inbox from applying an event twice).
   */
  async record(tx: Transaction, event: EventEnvelope, actorId: string | null): Promise<boolean> {
    const { count } = await tx.auditEvent.createMany({
      data: [
        {
          eventId: event.id,
          type: event.type,
          version: event.version,
          source: event.source,
          entityId: event.subject,
          correlationId: event.correlationId,
          causationId: event.causationId,
          actorId,
          occurredAt: new Date(event.time),
          payload: JSON.stringify(event),
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** A page of the events about one entity and/or one correlation id, oldest first; `take` rows at most. */
  page(filter: AuditFilter, take: number, after?: AuditCursor): Promise<AuditEventRow[]> {
    return this.db.auditEvent.findMany({
      where: {
        ...(filter.entityId !== undefined ? { entityId: filter.entityId } : {}),
        ...(filter.correlationId !== undefined ? { correlationId: filter.correlationId } : {}),
        ...(after ? { OR: [{ occurredAt: { gt: after.occurredAt } }, { occurredAt: after.occurredAt, seq: { gt: after.seq } }] } : {}),
      },
      orderBy: [{ occurredAt: 'asc' }, { seq: 'asc' }],
      take,
    });
  }

  /** The whole trail in arrival order, in batches (optionally only rows recorded since a time). */
  async *inArrivalOrder(batchSize: number, recordedSince?: Date): AsyncGenerator<AuditEventRow[]> {
    let after = 0n;
    for (;;) {
      const rows = await this.db.auditEvent.findMany({
        where: { seq: { gt: after }, ...(recordedSince ? { recordedAt: { gte: recordedSince } } : {}) },
        orderBy: { seq: 'asc' },
        take: batchSize,
      });
      if (rows.length === 0) return;
      yield rows;
      after = rows.at(-1)!.seq;
    }
  }
}
