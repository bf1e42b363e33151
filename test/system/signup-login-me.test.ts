import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.urls.edge}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the first slice through the edge on :9090', () => {
  const email = `ada-${Date.now()}@example.com`;
  const password = 'correct horse battery';

  it('registers, logs in and answers `me` with data from auth and user', async () => {
    const registered = await post('/auth/register', { email, password, displayName: 'Ada Lovelace' });
    expect(registered.status).toBe(201);

    const login = await post('/auth/login', { email, password });
    expect(login.status).toBe(200);
    const accessToken = login.body.accessToken as string;

    const me = await until(async () => {
      const answer = await post('/graphql', { query: '{ me { id email profile { displayName } } }' }, { authorization: `Bearer ${accessToken}` });
      const data = answer.body.data as { me: { profile: unknown } } | undefined;
      return data?.me.profile ? answer : undefined;
    });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      data: { me: { id: (registered.body.user as { id: string }).id, email, profile: { displayName: 'Ada Lovelace' } } },
    });
  });

  it('answers bad input with clear errors and keeps serving', async () => {
    const malformed = await fetch(`${platform.urls.edge}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });

    const weak = await post('/auth/register', { email: `weak-${Date.now()}@example.com`, password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });

    const taken = await post('/auth/register', { email, password });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: { code: 'CONFLICT' } });

    const wrongPassword = await post('/auth/login', { email, password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

    const tampered = await post('/graphql', { query: '{ me { id } }' }, { authorization: 'Bearer aaa.bbb.ccc' });
    expect(JSON.stringify(tampered.body)).toContain('UNAUTHENTICATED');

    const anonymous = await post('/graphql', { query: '{ me { id } }' });
    expect(anonymous.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('erases the profile when the account is deleted', async () => {
    const other = `grace-${Date.now()}@example.com`;
    await post('/auth/register', { email: other, password });
    const { body } = await post('/auth/login', { email: other, password });
    const authorization = `Bearer ${body.accessToken as string}`;
    await until(async () => {
      const response = await fetch(`${platform.urls.edge}/user/me`, { headers: { authorization } });
      return response.status === 200 ? true : undefined;
    });
    const deleted = await fetch(`${platform.urls.edge}/auth/me`, { method: 'DELETE', headers: { authorization } });
    expect(deleted.status).toBe(204);
    await until(async () => {
      const response = await fetch(`${platform.urls.edge}/user/me`, { headers: { authorization } });
      return response.status === 404 ? true : undefined;
    });
  });
});
