import { Kind } from 'graphql';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import { openHeadquarter, orderSaga, storeLife, type Headquarter, type OrderSaga } from '../../test/support';
import { headquarterContext } from './context';
import { resolvers, typeDefs } from './resolvers';

type CallerName = 'anonymous' | 'customer' | 'storeOwner' | 'courier' | 'hqAdmin';

let hq: Headquarter;
let harness: SubgraphHarness;
let callers: Record<CallerName, Caller>;

const at = (iso: string) => new Date(iso);
const open = storeLife({ createdAt: at('2026-11-01T08:00:00.000Z'), becomes: 'OPEN', name: 'Corner' });
const waitingLonger = storeLife({ createdAt: at('2026-11-02T08:00:00.000Z'), name: 'Bakery' });
const waiting = storeLife({ createdAt: at('2026-11-03T08:00:00.000Z'), name: 'Deli' });
let delivered: OrderSaga;

beforeAll(async () => {
  hq = await openHeadquarter('api');
  harness = await startSubgraphHarness({ name: 'headquarter', typeDefs, resolvers, context: headquarterContext(hq.audit, hq.stores, hq.kpis) });
  callers = {
    anonymous,
    customer: await harness.caller(['customer']),
    // The owner of the store whose stats are asked for: still not allowed.
    storeOwner: await harness.caller(['store_owner'], open.ownerId),
    courier: await harness.caller(['courier']),
    hqAdmin: await harness.caller(['hq_admin']),
  };
  delivered = orderSaga({ storeId: open.storeId, placedAt: at('2026-11-20T10:00:00.000Z'), ending: 'delivered', deliveryMinutes: 40, totalMinor: 2400 });
  const claimed = orderSaga({ storeId: open.storeId, placedAt: at('2026-11-20T11:00:00.000Z'), ending: 'claimed' });
  await hq.consume([...open.events, ...waitingLonger.events, ...waiting.events, ...delivered.events, ...claimed.events]);
});

afterAll(async () => {
  await harness.close();
  await hq.close();
});

const documents = {
  auditTrail: 'query ($correlationId: String) { auditTrail(correlationId: $correlationId) { edges { node { id } } } }',
  kpis: 'query { kpis { ordersByStatus { status count } activeCouriers } }',
  approvalQueue: 'query { approvalQueue { edges { node { name } } } }',
  storeStats: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Store { id stats { orders } } } }',
};

describe('who may read headquarters', () => {
  const hqAdminOnly: Record<CallerName, string> = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', storeOwner: 'FORBIDDEN', courier: 'FORBIDDEN', hqAdmin: 'ok' };
  const matrix: Record<string, { document: string; variables: () => Record<string, unknown>; expected: Record<CallerName, string> }> = {
    'Query.auditTrail': { document: documents.auditTrail, variables: () => ({ correlationId: delivered.placementCorrelationId }), expected: hqAdminOnly },
    'Query.kpis': { document: documents.kpis, variables: () => ({}), expected: hqAdminOnly },
    'Query.approvalQueue': { document: documents.approvalQueue, variables: () => ({}), expected: hqAdminOnly },
    'Store.stats': { document: documents.storeStats, variables: () => ({ representations: [{ __typename: 'Store', id: open.storeId }] }), expected: hqAdminOnly },
  };

  it('has a row for every query, mutation and Store field of the SDL', () => {
    const fieldsOf = (typeName: string) =>
      typeDefs.definitions.flatMap((definition) =>
        definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === typeName ? (definition.fields ?? []).map((field) => `${typeName}.${field.name.value}`) : [],
      );
    const exposed = [...fieldsOf('Query'), ...mutationFieldsOf(typeDefs).map((field) => `Mutation.${field}`), ...fieldsOf('Store').filter((field) => field !== 'Store.id')];
    expect(Object.keys(matrix).sort()).toEqual(exposed.sort());
  });

  const cells = Object.entries(matrix).flatMap(([field, row]) => Object.entries(row.expected).map(([caller, expected]) => [field, caller as CallerName, expected] as const));

  it.each(cells)('%s by %s: %s', async (field, callerName, expected) => {
    const row = matrix[field]!;
    const answer = await harness.request(row.document, row.variables(), callers[callerName]);
    expect(outcomeOf(answer)).toBe(expected);
    if (expected !== 'ok') expect(JSON.stringify(answer.data ?? null)).not.toMatch(/"(edges|ordersByStatus|orders)":\s*[[{0-9]/);
  });
});

interface AuditPage {
  auditTrail: { edges: { cursor: string; node: { id: string; type: string; source: string; entityId: string; causationId: string | null; actor: { id: string } | null; data: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const auditDocument = `query ($entityId: ID, $correlationId: String, $first: Int, $after: String) {
  auditTrail(entityId: $entityId, correlationId: $correlationId, first: $first, after: $after) {
    edges { cursor node { id type source entityId causationId actor { id } data occurredAt recordedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('audit trail', () => {
  it("pages through one order's placement chain by correlation id, oldest first", async () => {
    const seen: AuditPage['auditTrail']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const answer: { data?: AuditPage | null } = await harness.request<AuditPage>(auditDocument, { correlationId: delivered.placementCorrelationId, first: 1, after }, callers.hqAdmin);
      const trail: AuditPage['auditTrail'] = answer.data!.auditTrail;
      seen.push(...trail.edges.map((edge) => edge.node));
      if (!trail.pageInfo.hasNextPage) break;
      after = trail.pageInfo.endCursor;
    }
    expect(seen.map((event) => event.type)).toEqual(['order.order.placed', 'picks.stock.reserved', 'order.order.confirmed']);
    expect(seen.map((event) => event.id)).toEqual(delivered.events.slice(0, 3).map((event) => event.id));
    expect(seen[1]).toMatchObject({ source: 'picks', entityId: delivered.orderId, causationId: seen[0]!.id, actor: null });
    expect(JSON.parse(seen[0]!.data)).toMatchObject({ orderId: delivered.orderId, storeId: open.storeId });
    expect(seen[0]!.actor?.id).toBe(JSON.parse(seen[0]!.data).customerId);
  });

  it('filters by entity, and by entity and correlation id together', async () => {
    const byEntity = await harness.request<AuditPage>(auditDocument, { entityId: open.storeId, first: 10 }, callers.hqAdmin);
    expect(byEntity.data!.auditTrail.edges.map((edge) => edge.node.type)).toEqual(['store.store.created', 'store.store.status-changed']);
    const both = await harness.request<AuditPage>(auditDocument, { entityId: delivered.orderId, correlationId: delivered.placementCorrelationId }, callers.hqAdmin);
    expect(both.data!.auditTrail.edges).toHaveLength(3);
  });

  it('refuses a query without entity or correlation id, a page over 100 and a cursor it did not issue', async () => {
    const answers = await Promise.all([
      harness.request(auditDocument, {}, callers.hqAdmin),
      harness.request(auditDocument, { entityId: open.storeId, first: 101 }, callers.hqAdmin),
      harness.request(auditDocument, { entityId: open.storeId, after: 'garbage' }, callers.hqAdmin),
    ]);
    expect(answers.map(outcomeOf)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(answers[0]!.errors?.[0]?.message).toContain('give entityId, correlationId or both');
  });
});

describe('KPIs', () => {
  it('answers every figure, revenue per store of the given day with the store as an entity', async () => {
    const answer = await harness.request<{ kpis: Record<string, unknown> }>(
      `query ($day: String!) { kpis { ordersByStatus { status count } revenueByStore(day: $day) { store { id } currency amountMinor orders } averageDeliveryMinutes p90DeliveryMinutes activeCouriers } }`,
      { day: '2026-11-20' },
      callers.hqAdmin,
    );
    expect(answer.errors).toBeUndefined();
    const { kpis } = answer.data!;
    expect(kpis.ordersByStatus).toContainEqual({ status: 'DELIVERED', count: 1 });
    expect(kpis.ordersByStatus).toContainEqual({ status: 'READY_FOR_PICKUP', count: 1 });
    expect(kpis).toMatchObject({
      revenueByStore: [{ store: { id: open.storeId }, currency: 'EUR', amountMinor: 2400, orders: 1 }],
      averageDeliveryMinutes: 40,
      p90DeliveryMinutes: 40,
      activeCouriers: 1,
    });
  });

  it.each([['2026-11-31'], ['20261120'], ['yesterday']])('refuses %s as a day', async (day) => {
    const answer = await harness.request('query ($day: String!) { kpis { revenueByStore(day: $day) { currency } } }', { day }, callers.hqAdmin);
    expect(outcomeOf(answer)).toBe('BAD_USER_INPUT');
  });
});

describe('approval queue', () => {
  it('pages through the stores waiting for approval, longest waiting first', async () => {
    const document = 'query ($after: String) { approvalQueue(first: 1, after: $after) { edges { node { store { id } owner { id } name city waitingSince } } pageInfo { hasNextPage endCursor } } }';
    type Page = { approvalQueue: { edges: { node: Record<string, unknown> }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await harness.request<Page>(document, {}, callers.hqAdmin);
    const second = await harness.request<Page>(document, { after: first.data!.approvalQueue.pageInfo.endCursor }, callers.hqAdmin);
    expect(first.data!.approvalQueue.edges.map((edge) => edge.node)).toEqual([
      { store: { id: waitingLonger.storeId }, owner: { id: waitingLonger.ownerId }, name: 'Bakery', city: 'London', waitingSince: '2026-11-02T08:00:00.000Z' },
    ]);
    expect(first.data!.approvalQueue.pageInfo.hasNextPage).toBe(true);
    expect(second.data!.approvalQueue.edges.map((edge) => edge.node.name)).toEqual(['Deli']);
    expect(second.data!.approvalQueue.pageInfo.hasNextPage).toBe(false);
  });
});

describe('Store.stats', () => {
  it('resolves the stats of several stores in one request, zeros for a store without orders', async () => {
    const answer = await harness.request<{ _entities: { id: string; stats: Record<string, unknown> }[] }>(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Store { id stats { orders deliveredOrders revenue { currency amountMinor } averageDeliveryMinutes } } } }',
      { representations: [open.storeId, waiting.storeId].map((id) => ({ __typename: 'Store', id })) },
      callers.hqAdmin,
    );
    expect(answer.data!._entities).toEqual([
      { id: open.storeId, stats: { orders: 2, deliveredOrders: 1, revenue: [{ currency: 'EUR', amountMinor: 2400 }], averageDeliveryMinutes: 40 } },
      { id: waiting.storeId, stats: { orders: 0, deliveredOrders: 0, revenue: [], averageDeliveryMinutes: null } },
    ]);
  });
});
