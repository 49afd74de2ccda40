import { generate } from 'otplib';
import { newTotpSecret, totpUri, verifyTotp } from './totp';

describe('TOTP', () => {
  const now = 1_790_000_000;

  it('accepts the current code and names its time step', async () => {
    const secret = newTotpSecret();
    const code = await generate({ secret, epoch: now });
    expect(await verifyTotp(secret, code, null, now)).toBe(Math.floor(now / 30));
  });

  it('accepts a code once: the same step is refused after use', async () => {
    const secret = newTotpSecret();
    const code = await generate({ secret, epoch: now });
    const step = await verifyTotp(secret, code, null, now);
    expect(step).not.toBeNull();
    expect(await verifyTotp(secret, code, step, now + 1)).toBeNull();
  });

  it('tolerates one step of drift and no more', async () => {
    const secret = newTotpSecret();
    expect(await verifyTotp(secret, await generate({ secret, epoch: now - 30 }), null, now)).not.toBeNull();
    expect(await verifyTotp(secret, await generate({ secret, epoch: now - 120 }), null, now)).toBeNull();
  });

  it.each(['', '12345', '1234567', 'abcdef', '12 456'])('refuses the malformed code %p', async (code) => {
    expect(await verifyTotp(newTotpSecret(), code, null, now)).toBeNull();
  });

  it('refuses codes of another secret', async () => {
    const code = await generate({ secret: newTotpSecret(), epoch: now });
    expect(await verifyTotp(newTotpSecret(), code, null, now)).toBeNull();
  });

  it('builds an otpauth URI an authenticator app can scan', () => {
    const uri = totpUri('JBSWY3DPEHPK3PXP', 'Sealed Channels', 'a@b.test');
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain('secret=JBSWY3DPEHPK3PXP');
  });
});
