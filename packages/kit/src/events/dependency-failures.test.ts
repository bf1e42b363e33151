import { isDependencyUnavailable } from './dependency-failures';

describe('isDependencyUnavailable', () => {
  it('recognises a database, Redis or network outage, also as the cause of another error', () => {
    expect(isDependencyUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error("Can't reach database server"), { code: 'P1001' }))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyUnavailable(new Error('handler failed', { cause: Object.assign(new Error('pool timeout: failed to retrieve a connection'), { code: 'ER_GET_CONNECTION_TIMEOUT' }) }))).toBe(true);
  });

  it('treats everything else as a failure of the event itself', () => {
    expect(isDependencyUnavailable(new Error('cannot accept an order that is CANCELLED'))).toBe(false);
    expect(isDependencyUnavailable(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }))).toBe(false);
    expect(isDependencyUnavailable(undefined)).toBe(false);
  });
});
