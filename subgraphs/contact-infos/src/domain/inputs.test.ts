import { randomUUID } from 'node:crypto';
import { DomainError, parseInput } from '@x/kit';
import type { z } from 'zod';
import { isCountryCode } from './countries';
import { addressPatchSchema, emailPatchSchema, geoPointSchema, newAddressSchema, newEmailSchema, newPhoneSchema, ownerSchema, phoneNumberSchema, phonePatchSchema } from './inputs';

const address = { label: 'Home', lines: ['Hauptstr. 1'], city: 'Berlin', postalCode: '10115', country: 'DE' };

/** The BAD_USER_INPUT fields parseInput reports, as `field: message`. */
function problems(schema: z.ZodType, input: unknown): string[] {
  try {
    parseInput(schema, input);
    return [];
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'BAD_USER_INPUT') throw error;
    return (error.details?.fields as { field: string; message: string }[]).map(({ field, message }) => `${field}: ${message}`);
  }
}

describe('phone numbers (E.164)', () => {
  it.each([
    ['+4915112345678', '+4915112345678'],
    ['+49 151 1234 5678', '+4915112345678'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['+33.1.23.45.67.89', '+33123456789'],
    ['+6834002', '+6834002'],
  ])('accepts %s as %s', (typed, stored) => {
    expect(phoneNumberSchema.parse(typed)).toBe(stored);
  });

  it.each([
    ['without +', '4915112345678'],
    ['with a national 0 prefix', '015112345678'],
    ['with country code 0', '+0151123456'],
    ['too short', '+49151'],
    ['over 15 digits', '+4915112345678901'],
    ['with letters', '+49151CALLME'],
    ['empty', ''],
  ])('refuses a number %s', (_case, number) => {
    expect(problems(newPhoneSchema, { label: 'Mobile', number })).toEqual([expect.stringMatching(/^number: number must be an E\.164 phone number/)]);
  });
});

describe('e-mail addresses', () => {
  it('accepts an address and trims it', () => {
    expect(newEmailSchema.parse({ label: 'Orders', address: '  orders@example.com ' })).toEqual({ label: 'Orders', address: 'orders@example.com' });
  });

  it.each(['orders', 'orders@', '@example.com', 'or ders@example.com', `${'a'.repeat(250)}@example.com`])('refuses %s', (value) => {
    expect(problems(newEmailSchema, { label: 'Orders', address: value })).toEqual([expect.stringMatching(/^address: /)]);
  });
});

describe('addresses', () => {
  it('accepts a complete address, normalising the country to upper case and defaulting location to null', () => {
    expect(newAddressSchema.parse({ ...address, country: ' fr ', lines: [' 12 rue de Rivoli '] })).toEqual({ ...address, country: 'FR', lines: ['12 rue de Rivoli'], location: null });
  });

  it('names every field that is wrong, in one BAD_USER_INPUT', () => {
    expect(
      problems(newAddressSchema, { label: ' ', lines: [], city: '', postalCode: '10115!', country: 'Germany', location: { lat: 91, lng: -181 } }).sort(),
    ).toEqual([
      'city: city must not be empty',
      'country: country must be an ISO 3166-1 alpha-2 code, e.g. DE, FR or US',
      'label: label must not be empty',
      'lines: lines must hold at least one line',
      'location.lat: lat must be between -90 and 90',
      'location.lng: lng must be between -180 and 180',
      'postalCode: postalCode must be 1 to 12 letters, digits, spaces or hyphens',
    ]);
  });

  it('refuses more than three lines, a line over 100 characters, control characters and unknown fields', () => {
    expect(problems(newAddressSchema, { ...address, lines: ['a', 'b', 'c', 'd'] })).toEqual(['lines: lines holds at most 3 lines']);
    expect(problems(newAddressSchema, { ...address, lines: ['x'.repeat(101)] })).toEqual(['lines.0: each address line is at most 100 characters']);
    expect(problems(newAddressSchema, { ...address, city: 'Ber\u0000lin' })).toEqual(['city: city must not contain control characters']);
    expect(problems(newAddressSchema, { ...address, street: 'Hauptstr.' })).toEqual([expect.stringMatching(/^\(body\): Unrecognized key: "street"/)]);
  });

  it.each([
    ['DE', true],
    ['US', true],
    ['AX', true],
    ['SS', true],
    ['UK', false],
    ['EU', false],
    ['XK', false],
    ['de', false],
    ['DEU', false],
  ])('knows whether %s is an ISO 3166-1 alpha-2 code (%s)', (code, known) => {
    expect(isCountryCode(code)).toBe(known);
  });

  it('accepts the corners of the map and refuses what lies beyond', () => {
    for (const point of [
      { lat: 90, lng: 180 },
      { lat: -90, lng: -180 },
      { lat: 0, lng: 0 },
    ])
      expect(geoPointSchema.parse(point)).toEqual(point);
    expect(geoPointSchema.safeParse({ lat: 90.0001, lng: 0 }).success).toBe(false);
    expect(geoPointSchema.safeParse({ lat: 0, lng: -180.5 }).success).toBe(false);
    expect(geoPointSchema.safeParse({ lat: 0 }).success).toBe(false);
  });
});

describe('patches', () => {
  it('refuses an empty patch with a message that says so', () => {
    for (const schema of [addressPatchSchema, phonePatchSchema, emailPatchSchema]) expect(problems(schema, {})).toEqual(['(body): nothing to change: give at least one field']);
  });

  it('validates only the fields given; location null removes the location', () => {
    expect(addressPatchSchema.parse({ city: ' Potsdam ', location: null })).toEqual({ city: 'Potsdam', location: null });
    expect(problems(addressPatchSchema, { country: 'XX' })).toEqual(['country: country must be an ISO 3166-1 alpha-2 code, e.g. DE, FR or US']);
    expect(phonePatchSchema.parse({ number: '+49 30 1234567' })).toEqual({ number: '+49301234567' });
  });
});

describe('owners', () => {
  it('maps USER and STORE to the card owner types and requires a UUID', () => {
    const id = randomUUID();
    expect(ownerSchema.parse({ type: 'USER', id })).toEqual({ type: 'user', id });
    expect(ownerSchema.parse({ type: 'STORE', id })).toEqual({ type: 'store', id });
    expect(problems(ownerSchema, { type: 'STORE', id: 'store-1' })).toEqual(['id: id must be a user or store id (UUID)']);
  });
});
