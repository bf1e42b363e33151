import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { eventCatalog, subscriptionsFor, on, AuthUserDeleted, AuthUserRegistered } from '@x/kit';
import { asyncApiFile, buildAsyncApi, loadConsumers, messageKey, receiveOperationKey, renderAsyncApi, sendOperationKey } from './asyncapi-document';

const consumers = loadConsumers('src');
const document = buildAsyncApi(consumers);
const rendered = renderAsyncApi(document);

function section(name: 'operations' | 'channels'): Record<string, Record<string, unknown>> {
  return document[name] as Record<string, Record<string, unknown>>;
}

describe('AsyncAPI event catalog (docs/asyncapi.yaml)', () => {
  it('is a valid AsyncAPI 3 document according to the AsyncAPI parser', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(rendered);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    expect(parsed?.version()).toBe('3.0.0');
    expect(parsed?.channels().length).toBe(eventCatalog.length);
  });

  it('matches the committed docs/asyncapi.yaml (run `npm run asyncapi` after changing a contract or a handler)', () => {
    expect(readFileSync(asyncApiFile, 'utf8')).toBe(rendered);
  });

  it('has one channel per event type, routed by its type on the topic exchange, with its producer as the sender', () => {
    const channels = section('channels');
    const operations = section('operations');
    for (const definition of eventCatalog) {
      expect(channels[definition.type]).toMatchObject({ address: definition.type, bindings: { amqp: { is: 'routingKey', exchange: { name: 'x.events', type: 'topic' } } } });
      expect(operations[sendOperationKey(definition)]).toMatchObject({ action: 'send', 'x-service': definition.producer });
    }
  });

  it('lists as receivers exactly the events each service registers handlers for', () => {
    const receivers = Object.entries(section('operations'))
      .filter(([, operation]) => operation.action === 'receive')
      .map(([key]) => key)
      .sort();
    const registered = [...consumers.entries()].flatMap(([service, consumed]) => consumed.map((definition) => receiveOperationKey(service, definition))).sort();
    expect(receivers).toEqual(registered);
    // The saga's hops are all there.
    expect(registered).toEqual(expect.arrayContaining(['picks.consumes.order.order.placed', 'order.consumes.picks.stock.reserved', 'order-delivery.consumes.order.order.accepted']));
  });

  it('describes each message payload as the envelope with the contract\'s data schema', () => {
    const messages = (document.components as { messages: Record<string, { payload: { properties: Record<string, unknown>; required: string[] } }> }).messages;
    const placed = messages['order.order.placed.v1'];
    expect(placed?.payload.required).toEqual(expect.arrayContaining(['id', 'type', 'correlationId', 'data']));
    expect(placed?.payload.properties.type).toMatchObject({ const: 'order.order.placed' });
    expect(placed?.payload.properties.data).toMatchObject({ type: 'object', required: expect.arrayContaining(['orderId', 'lines']) });
    expect(Object.keys(messages).sort()).toEqual(eventCatalog.map(messageKey).sort());
  });
});

describe('subscriptionsFor', () => {
  const handle = async () => undefined;

  it('returns the subscriptions when they handle exactly the declared events', () => {
    const subscriptions = [on(AuthUserRegistered, handle), on(AuthUserDeleted, handle)];
    expect(subscriptionsFor([AuthUserDeleted, AuthUserRegistered], subscriptions)).toBe(subscriptions);
  });

  it('refuses a handler for an event the service does not declare, and a declared event without a handler', () => {
    expect(() => subscriptionsFor([AuthUserRegistered], [on(AuthUserRegistered, handle), on(AuthUserDeleted, handle)])).toThrow(/handled but not declared as consumed: auth.user.deleted v1/);
    expect(() => subscriptionsFor([AuthUserRegistered, AuthUserDeleted], [on(AuthUserRegistered, handle)])).toThrow(/declared as consumed but not handled: auth.user.deleted v1/);
  });
});
