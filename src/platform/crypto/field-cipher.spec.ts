import { createSecretKey, randomBytes } from 'node:crypto';
import { blindIndex, open, openBytes, seal, sealBytes, SealOpenError, sealedKeyVersion } from './field-cipher';

const key = createSecretKey(randomBytes(32));
const location = { tenantId: '11111111-1111-4111-8111-111111111111', table: 'app_user', column: 'email_sealed', rowId: '22222222-2222-4222-8222-222222222222' };

describe('field cipher', () => {
  it('round-trips text, including multi-byte characters', () => {
    const sealed = seal(key, 3, 'Ünïcödé patient note ✓', location);
    expect(sealedKeyVersion(sealed)).toBe(3);
    expect(open(key, sealed, location)).toBe('Ünïcödé patient note ✓');
    expect(sealed.includes(Buffer.from('patient'))).toBe(false);
  });

  it.each([
    ['another row', { ...location, rowId: '33333333-3333-4333-8333-333333333333' }],
    ['another column', { ...location, column: 'display_name_sealed' }],
    ['another table', { ...location, table: 'message' }],
    ['another tenant', { ...location, tenantId: '44444444-4444-4444-8444-444444444444' }],
  ])('refuses a value moved to %s', (_, elsewhere) => {
    expect(() => open(key, seal(key, 1, 'secret', location), elsewhere)).toThrow(SealOpenError);
  });

  it('seals object bytes in the same envelope, and neither kind opens as the other', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const sealedBytes = sealBytes(key, 2, bytes, location);
    expect(openBytes(key, sealedBytes, location)).toEqual(bytes);
    expect(sealedKeyVersion(sealedBytes)).toBe(2);
    expect(() => open(key, sealedBytes, location)).toThrow(SealOpenError);
    expect(() => openBytes(key, seal(key, 2, 'secret', location), location)).toThrow(SealOpenError);
  });

  it('refuses a flipped bit, a wrong key, a changed key version and an unknown envelope', () => {
    const sealed = seal(key, 1, 'secret', location);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => open(key, flipped, location)).toThrow(SealOpenError);
    expect(() => open(createSecretKey(randomBytes(32)), sealed, location)).toThrow(SealOpenError);
    const otherVersion = Buffer.from(sealed);
    otherVersion.writeUInt32BE(2, 1);
    expect(() => open(key, otherVersion, location)).toThrow(SealOpenError);
    const otherFormat = Buffer.from(sealed);
    otherFormat[0] = 0x02;
    expect(() => open(key, otherFormat, location)).toThrow('unknown envelope version');
  });

  it('repeats no IV across one million seals under one key', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i += 1) seen.add(seal(key, 1, '', location).toString('latin1', 5, 17));
    expect(seen.size).toBe(1_000_000);
  });

  it('gives equal values equal blind indexes and different keys different ones', () => {
    expect(blindIndex(key, 'a@b.test').equals(blindIndex(key, 'a@b.test'))).toBe(true);
    expect(blindIndex(key, 'a@b.test').equals(blindIndex(createSecretKey(randomBytes(32)), 'a@b.test'))).toBe(false);
  });
});
