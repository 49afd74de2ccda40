import { hashPassword, needsRehash, PASSWORD_HASH_OPTIONS } from './password-hasher';
import { passwordProblems } from './password-policy';
import argon2 from 'argon2';

describe('password policy', () => {
  it.each([
    ['short', 'too_short'],
    ['x'.repeat(129), 'too_long'],
    ['password1234', 'common_password'],
    ['Password1234', 'common_password'],
    ['qwerty123456', 'common_password'],
    ['aaaaaaaaaaaaaaaa', 'common_password'],
  ])('refuses %p as %s', (password, problem) => {
    expect(passwordProblems(password)).toEqual([problem]);
  });

  it('counts characters, not bytes', () => {
    expect(passwordProblems('ääääääääääää'.replace(/ä/g, (_, i: number) => String.fromCodePoint(0x1f600 + i)))).toEqual([]);
  });

  it('accepts a long uncommon passphrase', () => {
    expect(passwordProblems('violet tractor sings at noon')).toEqual([]);
  });
});

describe('password hashing (R10)', () => {
  it('hashes with argon2id m=19456 t=2 p=1', async () => {
    const hash = await hashPassword('violet tractor sings at noon');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(needsRehash(hash)).toBe(false);
  });

  it('asks for a rehash when the stored parameters differ', async () => {
    const weaker = await argon2.hash('violet tractor sings at noon', { ...PASSWORD_HASH_OPTIONS, memoryCost: 4096, timeCost: 1 });
    const otherType = await argon2.hash('violet tractor sings at noon', { ...PASSWORD_HASH_OPTIONS, type: argon2.argon2i });
    expect(needsRehash(weaker)).toBe(true);
    expect(needsRehash(otherType)).toBe(true);
  });
});
