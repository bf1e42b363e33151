import { loaderById, loaderOfLists, type GraphQLContext } from '@x/kit';
import type DataLoader from 'dataloader';
import type { Database } from '../store/database';
import type { OrderRow, OrderStore, StatusChangeRow } from '../store/orders';
import { findStoreOwners, type StoreOwnerRow } from '../store/store-owners';

export interface OrderContext extends GraphQLContext {
  orders: OrderStore;
  orderById: DataLoader<string, OrderRow | null>;
  historyByOrderId: DataLoader<string, StatusChangeRow[]>;
  storeOwnerById: DataLoader<string, StoreOwnerRow | null>;
}

export function orderContext(orders: OrderStore, db: Database) {
  return (base: GraphQLContext): OrderContext => ({
    ...base,
    orders,
    orderById: loaderById((ids) => orders.findByIds(ids), (order) => order.id),
    historyByOrderId: loaderOfLists((ids) => orders.historyOf(ids), (change) => change.orderId),
    storeOwnerById: loaderById((ids) => findStoreOwners(db, ids), (row) => row.storeId),
  });
}
