import { defaultDisplayName, loginSchema, registrationSchema } from './credentials';

describe('registration input', () => {
  it('normalises the e-mail and makes customer the default role', () => {
    const parsed = registrationSchema.parse({ email: '  Ada@Example.COM ', password: 'correct horse battery' });
    expect(parsed).toEqual({ email: 'ada@example.com', password: 'correct horse battery', role: 'customer' });
  });

  it.each([
    [{ email: 'not-an-email', password: 'correct horse battery' }, 'email'],
    [{ email: 'a@b.co', password: 'short' }, 'at least 10'],
    [{ email: 'a@b.co', password: 'aaaaaaaaaaaa' }, 'repetitive'],
    [{ email: 'a@b.co', password: 'Password123' }, 'too common'],
    [{ email: 'a@b.co', password: 'correct horse battery', role: 'hq_admin' }, 'role must be one of'],
    [{ email: 'a@b.co', password: 'correct horse battery', isAdmin: true }, 'Unrecognized key'],
  ])('refuses %j', (input, reason) => {
    const result = registrationSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(reason);
  });

  it('lets a person register as store_owner or courier, never hq_admin', () => {
    expect(registrationSchema.parse({ email: 'o@x.io', password: 'correct horse battery', role: 'store_owner' }).role).toBe('store_owner');
    expect(registrationSchema.parse({ email: 'c@x.io', password: 'correct horse battery', role: 'courier' }).role).toBe('courier');
  });

  it('starts a profile name from the local part of the e-mail', () => {
    expect(defaultDisplayName('ada.lovelace@example.com')).toBe('ada.lovelace');
  });

  it('requires both fields to log in', () => {
    expect(loginSchema.safeParse({ email: 'a@b.co' }).success).toBe(false);
  });
});
