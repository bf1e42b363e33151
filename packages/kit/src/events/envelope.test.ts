import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { runWithContext } from '../context';
import { AuthUserRegistered, DeliveryRequested, eventCatalog, OrderAccepted, OrderPlaced } from './contracts';
import { buildEvent, defineEvent, envelopeSchema, keptDataSchema, withoutPersonalData } from './envelope';

const registration = { userId: randomUUID(), email: 'ada@example.com', roles: ['customer' as const], displayName: 'Ada' };

describe('buildEvent', () => {
  it('takes correlation, causation and trace context from the work that caused the event', () => {
    const cause = randomUUID();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const event = runWithContext({ correlationId: 'req-42', causationId: cause, traceparent }, () =>
      buildEvent(AuthUserRegistered, registration.userId, registration),
    );

    expect(event).toMatchObject({
      type: 'auth.user.registered',
      version: 1,
      source: 'auth',
      subject: registration.userId,
      correlationId: 'req-42',
      causationId: cause,
      traceparent,
      data: registration,
    });
    expect(envelopeSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('starts a new correlation with no cause outside any context', () => {
    const first = buildEvent(AuthUserRegistered, registration.userId, registration);
    const second = buildEvent(AuthUserRegistered, registration.userId, registration);

    expect(z.uuid().safeParse(first.correlationId).success).toBe(true);
    expect(first.correlationId).not.toBe(second.correlationId);
    expect(first.id).not.toBe(second.id);
    expect(first.causationId).toBeNull();
    expect(first).not.toHaveProperty('traceparent');
  });

  it('refuses data its own contract rejects, so a bad event is never committed', () => {
    expect(() => buildEvent(AuthUserRegistered, registration.userId, { ...registration, email: 'not-an-email' })).toThrow(z.ZodError);
  });
});

describe('envelopeSchema', () => {
  const valid = buildEvent(AuthUserRegistered, registration.userId, registration);

  it.each([
    ['a non-uuid id', { ...valid, id: 'abc' }],
    ['version 0', { ...valid, version: 0 }],
    ['a time that is not ISO 8601', { ...valid, time: 'yesterday' }],
    ['a missing correlation id', { ...valid, correlationId: undefined }],
    ['a malformed traceparent', { ...valid, traceparent: 'nope' }],
  ])('rejects an envelope with %s', (_label, envelope) => {
    expect(envelopeSchema.safeParse(envelope).success).toBe(false);
  });
});

describe('defineEvent', () => {
  it('rejects a type that does not start with its producer', () => {
    expect(() => defineEvent({ type: 'user.account.created', version: 1, producer: 'auth', description: '', data: z.object({}) })).toThrow(/producer/);
  });

  it('rejects a type that is not service.entity.past-tense', () => {
    expect(() => defineEvent({ type: 'auth.UserCreated', version: 1, producer: 'auth', description: '', data: z.object({}) })).toThrow(/past-tense/);
  });

  it('rejects personal data that is not a field of the data', () => {
    expect(() =>
      defineEvent({ type: 'auth.user.named', version: 1, producer: 'auth', description: '', data: z.object({ userId: z.uuid(), name: z.string() }), personalData: ['email'] }),
    ).toThrow(/email/);
  });
});

describe('personal data', () => {
  it('is named by every contract that carries an e-mail, a name, a phone number or an address', () => {
    const personalFieldNames = /^(email|displayName|firstName|lastName|phone|deliveryAddress|dropoff|address|recipient)$/;
    for (const definition of eventCatalog) {
      const fields = definition.data instanceof z.ZodObject ? Object.keys(definition.data.shape) : [];
      const unmarked = fields.filter((field) => personalFieldNames.test(field) && !definition.personalData?.includes(field));
      expect({ type: definition.type, unmarked }).toEqual({ type: definition.type, unmarked: [] });
    }
    const personal = Object.fromEntries(eventCatalog.filter((definition) => definition.personalData?.length).map((definition) => [definition.type, definition.personalData]));
    expect(personal).toEqual({
      [AuthUserRegistered.type]: ['email', 'displayName'],
      [OrderPlaced.type]: ['deliveryAddress'],
      [OrderAccepted.type]: ['deliveryAddress'],
      [DeliveryRequested.type]: ['dropoff'],
    });
  });

  it('is left out of the event a long-lived store keeps, which still reads back with the kept schema', () => {
    const event = buildEvent(AuthUserRegistered, registration.userId, registration);
    const kept = withoutPersonalData(event, AuthUserRegistered);
    expect(kept).toEqual({ ...event, data: { userId: registration.userId, roles: ['customer'] } });
    expect(JSON.stringify(kept)).not.toMatch(/ada@example.com|Ada/);
    expect(keptDataSchema(AuthUserRegistered).parse(kept.data)).toEqual(kept.data);
    expect(AuthUserRegistered.data.safeParse(kept.data).success).toBe(false);
    expect(event.data).toEqual(registration);
  });
});

describe('eventCatalog', () => {
  it('holds each type and version once', () => {
    const keys = eventCatalog.map((definition) => `${definition.type}@${definition.version}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
