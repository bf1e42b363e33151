import { randomUUID } from 'node:crypto';
import { placeOrderInputSchema } from './place-order';

const base = {
  storeId: randomUUID(),
  lines: [{ pickId: randomUUID(), quantity: 2 }],
  deliveryAddress: { recipient: 'Carla', lines: ['10 Rue de Rivoli'], city: 'Paris', postalCode: '75004', country: 'FR' },
  idempotencyKey: 'order-2026-11-24-001',
};

describe('placeOrder input', () => {
  it('accepts an address without location or phone, keeping them as nulls', () => {
    expect(placeOrderInputSchema.parse(base).deliveryAddress).toMatchObject({ location: null, phone: null });
  });

  it.each([
    [{ ...base, lines: [] }, 'lines'],
    [{ ...base, lines: [{ pickId: randomUUID(), quantity: 0 }] }, 'lines.0.quantity'],
    [{ ...base, deliveryAddress: { ...base.deliveryAddress, country: 'France' } }, 'deliveryAddress.country'],
    [{ ...base, deliveryAddress: { ...base.deliveryAddress, phone: '0612' } }, 'deliveryAddress.phone'],
    [{ ...base, deliveryAddress: { ...base.deliveryAddress, location: { lat: 91, lng: 0 } } }, 'deliveryAddress.location.lat'],
    [{ ...base, idempotencyKey: 'short' }, 'idempotencyKey'],
  ])('refuses %j, naming the field', (input, field) => {
    const result = placeOrderInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
  });
});
