import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresUnreachableError, firstUntraversableDirectory } from './embedded-postgres';

describe('firstUntraversableDirectory', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sc-reach-'));
  });
  afterEach(() => {
    chmodSync(root, 0o700);
    rmSync(root, { recursive: true, force: true });
  });

  it('names the mktemp -d directory (0700) above a checkout in it', () => {
    const checkout = join(root, 'sealed-channels', 'node_modules', 'bin');
    mkdirSync(checkout, { recursive: true, mode: 0o755 });

    expect(firstUntraversableDirectory(checkout)).toBe(root);
  });

  it('answers null when every directory down to the path can be entered by others', () => {
    chmodSync(root, 0o711);
    const data = join(root, 'data');
    mkdirSync(data, { mode: 0o755 });

    expect(firstUntraversableDirectory(data)).toBeNull();
  });

  it('checks the directories that exist and skips those still to be created', () => {
    chmodSync(root, 0o755);

    expect(firstUntraversableDirectory(join(root, 'not', 'yet'))).toBeNull();
  });
});

describe('EmbeddedPostgresUnreachableError', () => {
  const blocked = mkdtempSync(join(tmpdir(), 'sc-blocked-'));
  afterAll(() => rmSync(blocked, { recursive: true, force: true }));

  it.each([
    ['binaries', /move the checkout .* or set DATABASE_URL\.$/],
    ['data', /set DATA_DIR to a directory every user can enter .* or set DATABASE_URL\.$/],
  ] as const)('says on one line which directory blocks the %s and what to do', (what, remedy) => {
    const { message } = new EmbeddedPostgresUnreachableError(blocked, what);

    expect(message).not.toContain('\n');
    expect(message).toContain(`cannot enter ${blocked} (mode 0700)`);
    expect(message).toMatch(remedy);
  });
});
