import { createCategorySchema, deletionRefusal, slugify, updateCategorySchema, wouldCreateCycle } from './category';

// food ─┬─ fruit ── apples
//       └─ bakery
// drinks
const parentOf = new Map<string, string | null>([
  ['food', null],
  ['fruit', 'food'],
  ['apples', 'fruit'],
  ['bakery', 'food'],
  ['drinks', null],
]);

describe('moving a category in the tree', () => {
  it('refuses to make a category its own parent', () => {
    expect(wouldCreateCycle('fruit', 'fruit', parentOf)).toBe(true);
  });

  it('refuses to hang a category under its child or any deeper descendant', () => {
    expect(wouldCreateCycle('food', 'fruit', parentOf)).toBe(true);
    expect(wouldCreateCycle('food', 'apples', parentOf)).toBe(true);
  });

  it('allows a move to a sibling branch, another root or the top level', () => {
    expect(wouldCreateCycle('apples', 'bakery', parentOf)).toBe(false);
    expect(wouldCreateCycle('fruit', 'drinks', parentOf)).toBe(false);
    expect(wouldCreateCycle('fruit', null, parentOf)).toBe(false);
  });

  it('treats a cycle already in the data as a cycle instead of looping', () => {
    const broken = new Map<string, string | null>([
      ['a', 'b'],
      ['b', 'a'],
      ['c', null],
    ]);
    expect(wouldCreateCycle('c', 'a', broken)).toBe(true);
  });
});

describe('deleting a category', () => {
  it('is allowed only without children and without linked stores', () => {
    expect(deletionRefusal({ children: 0, linkedStores: 0 })).toBeNull();
    expect(deletionRefusal({ children: 2, linkedStores: 0 })).toMatch(/2 subcategories/);
    expect(deletionRefusal({ children: 0, linkedStores: 1 })).toMatch(/1 store is filed/);
  });
});

describe('category input', () => {
  it('derives a slug from the name, accents and punctuation removed', () => {
    expect(slugify('Fruit & Vegetables')).toBe('fruit-vegetables');
    expect(slugify('  Crème brûlée ')).toBe('creme-brulee');
    expect(slugify('!!!')).toBeNull();
  });

  it('rejects an empty name, a malformed slug and a negative position, naming each field', () => {
    const result = createCategorySchema.safeParse({ name: '  ', slug: 'Bad Slug', position: -1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['name', 'position', 'slug']);
  });

  it('rejects an update that changes nothing', () => {
    expect(updateCategorySchema.safeParse({}).success).toBe(false);
  });
});
