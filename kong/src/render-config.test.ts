import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { defaultKongConfigPath } from './edge';
import { loadKongConfig } from './kong-config';
import { jwtSecretsFromJwks, renderKongConfig } from './render-config';
import { call, start, startStub } from './test-support';

/** The step that puts auth's public keys into kong.yml before the edge starts (compose: kong-config). */

describe('rendering auth’s JWKS into kong.yml', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'render-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true });
  });

  async function signingKey(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const sign = () => new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid }).setExpirationTime('5m').sign(privateKey);
    return { jwk, sign };
  }

  it('writes one EdDSA jwt_secret per published key, keyed by kid, and the edge accepts tokens of each', async () => {
    const [current, previous] = await Promise.all([signingKey('key-2'), signingKey('key-1')]);
    const outputPath = path.join(dir, 'kong.yml');
    await renderKongConfig({ templatePath: defaultKongConfigPath, outputPath, secrets: jwtSecretsFromJwks({ keys: [current.jwk, previous.jwk] }) });

    const rendered = await loadKongConfig(outputPath);
    expect(rendered.consumers[0]?.jwtSecrets.map((secret) => [secret.key, secret.algorithm])).toEqual([
      ['key-2', 'EdDSA'],
      ['key-1', 'EdDSA'],
    ]);
    const text = await readFile(outputPath, 'utf8');
    expect(text).toContain('-----BEGIN PUBLIC KEY-----');
    expect(text).toContain('# One consumer stands for auth');

    const user = await startStub('user');
    const edge = await start({ configPath: outputPath, upstreamOverrides: { user: user.address } });
    try {
      for (const key of [current, previous]) {
        const response = await call(edge, '/user/me', { headers: { authorization: `Bearer ${await key.sign()}` } });
        expect(response.status).toBe(200);
      }
    } finally {
      await edge.close();
      await user.close();
    }
  });

  it('refuses a JWKS key without a kid or with an algorithm Kong does not know', async () => {
    const { jwk } = await signingKey('k');
    expect(() => jwtSecretsFromJwks({ keys: [{ ...jwk, kid: undefined }] })).toThrow(/lacks a kid/);
    expect(() => jwtSecretsFromJwks({ keys: [{ ...jwk, alg: 'Ed448' }] })).toThrow(/algorithm Kong's jwt plugin does not know/);
    expect(() => jwtSecretsFromJwks({ nope: [] })).toThrow(/not a JWKS/);
  });

  it('refuses a template without the issuer consumer, leaving no output behind', async () => {
    const templatePath = path.join(dir, 'no-consumer.yml');
    await writeFile(templatePath, '_format_version: "3.0"\n');
    const outputPath = path.join(dir, 'never.yml');
    await expect(renderKongConfig({ templatePath, outputPath, secrets: [] })).rejects.toThrow(/has no consumer "x-auth"/);
    await expect(readFile(outputPath)).rejects.toThrow();
  });
});
