import { loaderById, loaderOfLists, type GraphQLContext } from '@x/kit';
import type DataLoader from 'dataloader';
import type { DeliveryRow, DeliveryStore, StatusChangeRow } from '../store/deliveries';
import type { Projections, StoreLocation } from '../store/projections';

export interface DeliveryContext extends GraphQLContext {
  deliveries: DeliveryStore;
  deliveryById: DataLoader<string, DeliveryRow | null>;
  deliveryByOrderId: DataLoader<string, DeliveryRow | null>;
  historyByDeliveryId: DataLoader<string, StatusChangeRow[]>;
  storeById: DataLoader<string, StoreLocation | null>;
}

export function deliveryContext(deliveries: DeliveryStore, projections: Projections) {
  return (base: GraphQLContext): DeliveryContext => ({
    ...base,
    deliveries,
    deliveryById: loaderById((ids) => deliveries.findByIds(ids), (delivery) => delivery.id),
    deliveryByOrderId: loaderById((ids) => deliveries.findByOrderIds(ids), (delivery) => delivery.orderId),
    historyByDeliveryId: loaderOfLists((ids) => deliveries.historyOf(ids), (change) => change.deliveryId),
    storeById: loaderById((ids) => projections.findStores(ids), (store) => store.id),
  });
}
