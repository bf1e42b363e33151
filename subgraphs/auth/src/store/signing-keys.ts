import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey, type KeyLike } from 'jose';
import type { PrismaClient } from './generated/client';

const algorithm = 'EdDSA';

export interface ActiveKey {
  kid: string;
  privateKey: KeyLike;
}

/**
 * The Ed25519 keys that sign access tokens. One is generated on first start and kept in auth's
 * database; every non-retired key is published in the JWKS so tokens survive a rotation.
 */
export class SigningKeys {
  private active: ActiveKey | undefined;
  private publicKeys = new Map<string, { jwk: JWK; key: KeyLike }>();

  constructor(private readonly db: PrismaClient) {}

  async load(): Promise<void> {
    let rows = await this.db.signingKey.findMany({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    if (rows.length === 0) {
      await this.create();
      rows = await this.db.signingKey.findMany({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    }
    const publicKeys = new Map<string, { jwk: JWK; key: KeyLike }>();
    for (const row of rows) {
      const jwk = JSON.parse(row.publicJwk) as JWK;
      publicKeys.set(row.kid, { jwk, key: (await importJWK(jwk, algorithm)) as KeyLike });
    }
    const newest = rows[0]!;
    this.active = { kid: newest.kid, privateKey: (await importJWK(JSON.parse(newest.privateJwk) as JWK, algorithm)) as KeyLike };
    this.publicKeys = publicKeys;
  }

  current(): ActiveKey {
    if (!this.active) throw new Error('signing keys not loaded');
    return this.active;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.publicKeys.values()].map(({ jwk }) => jwk) };
  }

  /** Verifies auth's own tokens without a round trip to its JWKS endpoint. */
  readonly verificationKey: JWTVerifyGetKey = async (header) => {
    const found = header.kid ? this.publicKeys.get(header.kid) : undefined;
    if (!found) throw new Error('unknown key id');
    return found.key;
  };

  private async create(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: algorithm };
    await this.db.signingKey.create({
      data: { kid, algorithm, publicJwk: JSON.stringify(publicJwk), privateJwk: JSON.stringify(privateJwk) },
    });
  }
}
