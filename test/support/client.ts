import { randomUUID } from 'node:crypto';
import type { TestPlatform } from './platform';

/** A client of one test platform's public API (:9090-style edge), for system, security and fault tests. */

export interface GraphQLAnswer<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

export type Role = 'customer' | 'store_owner' | 'courier';

export const password = 'correct horse battery';

export function clientOf(platform: TestPlatform) {
  async function post<T = Record<string, unknown>>(path: string, body: unknown, token?: string, base = platform.urls.edge): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function graphql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string, base = platform.urls.edge): Promise<GraphQLAnswer<T> & { status: number }> {
    const answer = await post<GraphQLAnswer<T>>('/graphql', { query, variables }, token, base);
    return { ...answer.body, status: answer.status };
  }

  /** The data, or a thrown error naming every GraphQL error's code. */
  async function gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const answer = await graphql<T>(query, variables, token);
    if (answer.errors?.length || !answer.data) throw new Error(answer.errors?.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ') ?? `no data (HTTP ${answer.status})`);
    return answer.data;
  }

  /**
   * Logs in at auth itself, not through the edge: the edge allows 10 logins a minute per address, which
   * tests that set up several accounts would spend before reaching what they test.
   */
  async function loginDirect(email: string, secret: string): Promise<{ accessToken: string; refreshToken: string }> {
    const answer = await post<{ accessToken: string; refreshToken: string }>('/auth/login', { email, password: secret }, undefined, platform.urls.services.auth);
    if (answer.status !== 200) throw new Error(`login of ${email} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Registers at auth itself too: the edge allows 10 sign-ups a minute per address, as it does logins. */
  async function account(role: Role, displayName?: string): Promise<{ token: string; id: string; email: string }> {
    const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
    const registered = await post<{ user: { id: string } }>('/auth/register', { email, password, role, ...(displayName ? { displayName } : {}) }, undefined, platform.urls.services.auth);
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
    return { token: (await loginDirect(email, password)).accessToken, id: registered.body.user.id, email };
  }

  const adminToken = async () => (await loginDirect(platform.hqAdmin.email, platform.hqAdmin.password)).accessToken;

  return { post, graphql, gql, loginDirect, account, adminToken };
}

/** Retries while `attempt` throws or `accept` says no: services learn of each other's changes through events. */
export async function until<T>(attempt: () => Promise<T>, accept: (value: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await attempt();
      if (accept(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in time; last answer ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
