import { type GraphQLContext } from '@x/kit';
import DataLoader from 'dataloader';
import type { AuditTrail } from '../store/audit-trail';
import type { KpiStore, StoreStats } from '../store/kpis';
import type { StoreStates } from '../store/store-states';

export interface HeadquarterContext extends GraphQLContext {
  audit: AuditTrail;
  stores: StoreStates;
  kpis: KpiStore;
  /** Every store of a request in one Redis round trip. */
  storeStatsById: DataLoader<string, StoreStats>;
}

export function headquarterContext(audit: AuditTrail, stores: StoreStates, kpis: KpiStore) {
  return (base: GraphQLContext): HeadquarterContext => ({
    ...base,
    audit,
    stores,
    kpis,
    storeStatsById: new DataLoader((ids: readonly string[]) => kpis.storeStats(ids)),
  });
}
