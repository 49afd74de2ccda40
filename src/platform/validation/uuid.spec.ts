import { randomUUID } from 'node:crypto';
import { isUuid } from './uuid';

describe('isUuid', () => {
  it('accepts a UUID in either letter case', () => {
    const id = randomUUID();

    expect(isUuid(id)).toBe(true);
    expect(isUuid(id.toUpperCase())).toBe(true);
  });

  it.each([[''], ['not-a-uuid'], [`${randomUUID()}x`], [` ${randomUUID()}`], [randomUUID().replace(/-/g, '')], [42], [null], [undefined]])(
    'refuses %p',
    (value) => {
      expect(isUuid(value)).toBe(false);
    },
  );
});
