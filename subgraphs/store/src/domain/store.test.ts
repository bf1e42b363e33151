import { canSee, changedFields, createStoreSchema, updateStoreSchema, type Viewer } from './store';

const owner: Viewer = { kind: 'member', userId: 'owner-1' };
const stranger: Viewer = { kind: 'member', userId: 'someone-else' };
const admin: Viewer = { kind: 'hq_admin', userId: 'admin-1' };
const anonymous: Viewer = { kind: 'public' };

describe('who sees a store', () => {
  it.each([
    ['OPEN', [true, true, true, true]],
    ['CLOSED', [true, true, true, true]],
    ['PENDING_APPROVAL', [false, false, true, true]],
    ['SUSPENDED', [false, false, true, true]],
  ] as const)('a %s store: anonymous, stranger, owner, hq_admin', (status, expected) => {
    expect([anonymous, stranger, owner, admin].map((viewer) => canSee(viewer, { status, ownerId: 'owner-1' }))).toEqual(expected);
  });
});

describe('store input', () => {
  const valid = { name: 'Shop', city: 'Lyon', location: { lat: 45.7, lng: 4.8 }, categoryIds: ['6f1c2b1e-8a4e-4f7a-9c55-0d6a3e1f2b3c'], timeZone: 'Europe/Paris' };

  it('accepts a store without hours (closed every day) and trims its name', () => {
    expect(createStoreSchema.parse({ ...valid, name: '  Shop  ', openingHours: null })).toMatchObject({ name: 'Shop', openingHours: [] });
  });

  it('names every bad field at once', () => {
    const result = createStoreSchema.safeParse({ ...valid, name: '', location: { lat: -91, lng: 181 }, categoryIds: [valid.categoryIds[0], valid.categoryIds[0]], timeZone: 'Nowhere' });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['categoryIds', 'location.lat', 'location.lng', 'name', 'timeZone']);
  });

  it('rejects an update that changes nothing, and an unknown field', () => {
    expect(updateStoreSchema.safeParse({}).success).toBe(false);
    expect(updateStoreSchema.safeParse({ status: 'OPEN' }).success).toBe(false);
  });
});

describe('changed fields', () => {
  it('reports only the fields whose value differs, nested values compared whole', () => {
    const current = { name: 'Shop', city: 'Lyon', location: { lat: 1, lng: 2 }, description: null as string | null };
    expect(changedFields(current, { name: 'Shop', location: { lat: 1, lng: 2 }, description: 'New' })).toEqual(['description']);
    expect(changedFields(current, { city: 'Nantes', location: { lat: 1, lng: 3 } })).toEqual(['city', 'location']);
  });
});
