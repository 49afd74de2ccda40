import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { runAsSystem } from '../context/request-context';
import { ConflictError } from '../errors';
import { PublicSigningKey, SigningKeyRepository } from './signing-key.repository';

/** Access tokens live 15 minutes; a retired key verifies (and stays published) this long after retiring. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
export const CLOCK_TOLERANCE_SECONDS = 30;
const RETIRED_KEY_GRACE_MS = (ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000;

export interface SigningKeyRingOptions {
  /** How often the key list is re-read, so a key added by another process is seen. */
  refreshIntervalMs?: number;
  /** An unknown `kid` triggers a re-read at most this often (a forged kid must not hammer the database). */
  unknownKidRefreshMs?: number;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface PublishedJwk extends JWK {
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

interface KeySet {
  loadedAt: number;
  keys: PublicSigningKey[];
  verification: Map<string, { key: PublicSigningKey; publicKey: KeyObject }>;
}

/**
 * The service's ES256 signing keys. The newest generation signs; every key not retired more than one token
 * lifetime ago verifies and is published at the JWKS endpoint. Private keys are sealed at rest and opened once
 * per process per key.
 */
export class SigningKeyRing {
  private keySet: Promise<KeySet> | undefined;
  private signing: { kid: string; key: Promise<SigningKey> } | undefined;
  private readonly refreshIntervalMs: number;
  private readonly unknownKidRefreshMs: number;

  constructor(private readonly repository: SigningKeyRepository, options: SigningKeyRingOptions = {}) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? 60_000;
    this.unknownKidRefreshMs = options.unknownKidRefreshMs ?? 5_000;
  }

  async signingKey(): Promise<SigningKey> {
    let newest = (await this.currentSet()).keys[0];
    if (!newest) {
      await this.rotate().catch((error: unknown) => {
        // Another process created the first key at the same moment: use theirs.
        if (!(error instanceof ConflictError)) throw error;
      });
      newest = (await this.reload()).keys[0];
    }
    if (this.signing?.kid !== newest.id) {
      const kid = newest.id;
      this.signing = { kid, key: this.openPrivateKey(kid) };
      this.signing.key.catch(() => { if (this.signing?.kid === kid) this.signing = undefined; });
    }
    return this.signing.key;
  }

  /** The public key for a token's `kid`, or null when the kid is not ours (or retired too long ago). */
  async verificationKey(kid: string): Promise<KeyObject | null> {
    let set = await this.currentSet();
    if (!set.verification.has(kid) && Date.now() - set.loadedAt >= this.unknownKidRefreshMs) set = await this.reload();
    const entry = set.verification.get(kid);
    // Checked at use, not only at load: a key's grace ends on time even between two reloads.
    return entry && isPublishable(entry.key) ? entry.publicKey : null;
  }

  async jwks(): Promise<{ keys: PublishedJwk[] }> {
    const { keys } = await this.currentSet();
    return { keys: keys.filter(isPublishable).map((key) => ({ ...key.publicJwk, kid: key.id, alg: 'ES256', use: 'sig' })) };
  }

  /** Adds a new signing key; the previous ones keep verifying until their tokens have expired. */
  async rotate(): Promise<{ kid: string; generation: number }> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { keys } = await this.reload();
    const generation = (keys[0]?.generation ?? 0) + 1;
    const added = await this.repository.add({
      id: randomUUID(),
      generation,
      algorithm: 'ES256',
      publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
    await this.reload();
    return { kid: added.id, generation: added.generation };
  }

  private currentSet(): Promise<KeySet> {
    const set = this.keySet;
    if (!set) return this.reload();
    return set.then((loaded) => (Date.now() - loaded.loadedAt >= this.refreshIntervalMs ? this.reload() : loaded));
  }

  private reload(): Promise<KeySet> {
    const loading = runAsSystem('signing_keys.load', () => this.repository.listPublic()).then((keys): KeySet => ({
      loadedAt: Date.now(),
      keys,
      verification: new Map(keys.filter(isPublishable).map((key) => [key.id, { key, publicKey: createPublicKey({ key: key.publicJwk, format: 'jwk' }) }])),
    }));
    this.keySet = loading;
    loading.catch(() => { if (this.keySet === loading) this.keySet = undefined; });
    return loading;
  }

  private async openPrivateKey(kid: string): Promise<SigningKey> {
    const pem = await runAsSystem('signing_keys.load', () => this.repository.privateKeyOf(kid));
    if (pem === null) throw new Error(`signing key ${kid} vanished`);
    return { kid, privateKey: createPrivateKey(pem) };
  }
}

function isPublishable(key: PublicSigningKey): boolean {
  return key.retiredAt === null || Date.now() - key.retiredAt.getTime() < RETIRED_KEY_GRACE_MS;
}
