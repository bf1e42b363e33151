import type { Subscription } from './consumer';
import type { EventDefinition } from './envelope';

const key = (definition: Pick<EventDefinition, 'type' | 'version'>): string => `${definition.type} v${definition.version}`;

/**
 * A service's subscriptions, checked against the list of event definitions it declares it consumes.
 * The list is what the AsyncAPI document and other tooling read without constructing the service's
 * stores; this check keeps it equal to the handlers the consumer really registers (it runs whenever
 * the subscriptions are built: at start-up and in every handler test).
 */
export function subscriptionsFor<Tx>(consumes: readonly EventDefinition[], subscriptions: Subscription<Tx>[]): Subscription<Tx>[] {
  const declared = new Set(consumes.map(key));
  const handled = new Set(subscriptions.map((subscription) => key(subscription.definition)));
  const undeclared = [...handled].filter((entry) => !declared.has(entry));
  const unhandled = [...declared].filter((entry) => !handled.has(entry));
  if (declared.size !== consumes.length) throw new Error('the list of consumed events names an event twice');
  if (undeclared.length > 0 || unhandled.length > 0) {
    const parts = [
      undeclared.length > 0 ? `handled but not declared as consumed: ${undeclared.join(', ')}` : '',
      unhandled.length > 0 ? `declared as consumed but not handled: ${unhandled.join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(`subscriptions do not match the consumed events (${parts.join('; ')})`);
  }
  return subscriptions;
}
