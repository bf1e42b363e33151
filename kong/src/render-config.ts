import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument } from 'yaml';
import { jwtAlgorithms, type JwtAlgorithm } from './consumers';
import { loadKongConfig } from './kong-config';

/** The consumer of kong.yml that stands for auth; its jwt_secrets are auth's public keys. */
export const issuerConsumer = 'x-auth';

export interface JwtSecretEntry {
  key: string;
  algorithm: JwtAlgorithm;
  rsa_public_key: string;
}

interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
  use?: string;
}

/** One jwt_secret per signing key of the JWKS: key = `kid` (the jwt plugin's key_claim_name), PEM public key. */
export function jwtSecretsFromJwks(jwks: unknown): JwtSecretEntry[] {
  const keys = typeof jwks === 'object' && jwks !== null && 'keys' in jwks && Array.isArray(jwks.keys) ? (jwks.keys as Jwk[]) : undefined;
  if (!keys) throw new Error('not a JWKS: no "keys" array');
  return keys
    .filter((jwk) => jwk.use === undefined || jwk.use === 'sig')
    .map((jwk) => {
      const algorithm = jwtAlgorithms.find((candidate) => candidate === jwk.alg);
      if (!jwk.kid || !algorithm) throw new Error(`JWKS key ${jwk.kid ?? '(no kid)'} lacks a kid or has an algorithm Kong's jwt plugin does not know (${jwk.alg})`);
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      return { key: jwk.kid, algorithm, rsa_public_key: pem };
    });
}

/**
 * Writes a copy of the kong.yml template with the issuer consumer's jwt_secrets filled in (comments
 * and anchors kept), checks the copy as the local edge reads it, and only then puts it in place.
 */
export async function renderKongConfig(options: { templatePath: string; outputPath: string; secrets: readonly JwtSecretEntry[]; consumer?: string }): Promise<void> {
  const consumerName = options.consumer ?? issuerConsumer;
  const document = parseDocument(await readFile(options.templatePath, 'utf8'));
  const consumers = document.get('consumers');
  const consumer = isSeq(consumers) ? consumers.items.find((item) => isMap(item) && item.get('username') === consumerName) : undefined;
  if (!isMap(consumer)) throw new Error(`${options.templatePath} has no consumer "${consumerName}"`);
  consumer.set('jwt_secrets', document.createNode(options.secrets.map((secret) => ({ ...secret }))));
  const rendered = `# Rendered from ${options.templatePath} with auth's public keys; do not edit.\n${document.toString({ lineWidth: 0 })}`;
  const staging = `${options.outputPath}.tmp`;
  await writeFile(staging, rendered);
  await loadKongConfig(staging);
  await rename(staging, options.outputPath);
}

/** Fetches a JWKS, asking again until it answers or the time is up (auth may still be starting). */
export async function fetchJwks(url: string, waitMs: number): Promise<unknown> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return await response.json();
      if (Date.now() > deadline) throw new Error(`${url} answered ${response.status}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'jwks-url': { type: 'string', default: process.env.AUTH_JWKS_URL },
      template: { type: 'string', default: path.resolve(__dirname, '..', 'kong.yml') },
      out: { type: 'string' },
      'wait-seconds': { type: 'string', default: '60' },
    },
  });
  if (!values['jwks-url'] || !values.out) throw new Error('usage: render-config --jwks-url <auth JWKS URL> --out <rendered kong.yml> [--template kong/kong.yml]');
  const secrets = jwtSecretsFromJwks(await fetchJwks(values['jwks-url'], Number(values['wait-seconds']) * 1000));
  await renderKongConfig({ templatePath: values.template, outputPath: values.out, secrets });
  process.stdout.write(`kong-config: ${values.out} has ${secrets.length} key(s) of ${values['jwks-url']} (${secrets.map((s) => s.key).join(', ')})\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`kong-config: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
