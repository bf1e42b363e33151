import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** The JWT algorithms of Kong 3.9's jwt plugin (EdDSA since 3.7), each with how the local edge verifies it. */
export const jwtAlgorithms = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

export type JwtVerificationKey = { kind: 'secret'; secret: Buffer } | { kind: 'public'; key: KeyObject };

/** A consumer's jwt_secrets entry, with its key parsed once when the file is read. */
export interface JwtCredential {
  readonly key: string;
  readonly algorithm: JwtAlgorithm;
  readonly verificationKey: JwtVerificationKey;
}

export interface KongConsumer {
  readonly username: string;
  readonly customId: string | undefined;
  readonly jwtSecrets: readonly JwtCredential[];
}

const tags = z.array(z.string()).optional();

const jwtSecret = z
  .strictObject({
    key: z.string().min(1),
    algorithm: z.enum(jwtAlgorithms).default('HS256'),
    secret: z.string().min(1).optional(),
    rsa_public_key: z.string().min(1).optional(),
    tags,
  })
  .transform((entry, context): JwtCredential => {
    if (entry.algorithm.startsWith('HS')) {
      if (!entry.secret) {
        context.addIssue({ code: 'custom', path: ['secret'], message: `${entry.algorithm} needs a secret` });
        return z.NEVER;
      }
      return { key: entry.key, algorithm: entry.algorithm, verificationKey: { kind: 'secret', secret: Buffer.from(entry.secret) } };
    }
    if (!entry.rsa_public_key) {
      context.addIssue({ code: 'custom', path: ['rsa_public_key'], message: `${entry.algorithm} needs rsa_public_key (a PEM public key)` });
      return z.NEVER;
    }
    try {
      const key = createPublicKey(entry.rsa_public_key);
      return { key: entry.key, algorithm: entry.algorithm, verificationKey: { kind: 'public', key } };
    } catch (error) {
      context.addIssue({ code: 'custom', path: ['rsa_public_key'], message: `invalid key: ${error instanceof Error ? error.message : String(error)}` });
      return z.NEVER;
    }
  });

export const consumerSchema = z
  .strictObject({
    username: z.string().min(1),
    custom_id: z.string().min(1).optional(),
    jwt_secrets: z.array(jwtSecret).default([]),
    tags,
  })
  .transform((entry): KongConsumer => ({ username: entry.username, customId: entry.custom_id, jwtSecrets: entry.jwt_secrets }));
