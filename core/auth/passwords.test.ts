import { describe, expect, test } from '@jest/globals';
import {
  ARGON2_PARAMS,
  hashPassword,
  needsRehash,
  passwordProblem,
  verifyAgainstNothing,
  verifyPassword,
} from './passwords.ts';

const PASSWORD = 'correct horse battery staple';

describe('Password hashing (argon2id)', () => {
  test('When a password is hashed, then the PHC string names argon2id with m=19 MiB, t=2, p=1, a 16-byte salt and a 32-byte tag', async () => {
    const phc = await hashPassword(PASSWORD);
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(phc);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(19 * 1024);
    expect(Number(match![2])).toBeGreaterThanOrEqual(2);
    expect(Number(match![3])).toBe(1);
    expect(Buffer.from(match![4]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(match![5]!, 'base64')).toHaveLength(32);
    expect(phc).not.toContain(PASSWORD);
  });

  test('When the same password is hashed twice, then the salts differ and both verify', async () => {
    const [first, second] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(first).not.toBe(second);
    expect(await verifyPassword(PASSWORD, first)).toBe(true);
    expect(await verifyPassword(PASSWORD, second)).toBe(true);
  });

  test('When another password is given, then it does not verify (one character off, case, empty)', async () => {
    const phc = await hashPassword(PASSWORD);
    for (const wrong of ['correct horse battery stapl', 'Correct horse battery staple', '', `${PASSWORD} `])
      expect(await verifyPassword(wrong, phc)).toBe(false);
  });

  test('When a password is typed in another Unicode form, then it verifies the same (NFKC)', async () => {
    const composed = 'caf\u00e9 au lait, bien s\u00fbr';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  test('When a stored hash used weaker parameters, then it still verifies and is marked for rehashing', async () => {
    const weak = await hashPassword(PASSWORD, { ...ARGON2_PARAMS, memory: 8192, passes: 1 });
    expect(await verifyPassword(PASSWORD, weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword(PASSWORD))).toBe(false);
  });

  test.each([
    ['not a PHC string', 'plain'],
    ['argon2i', '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA'],
    ['an old version', '$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA'],
    ['bcrypt', '$2b$12$C6UzMDM.H6dfI/f/IKcEeO5B0T1qOxoJ2yWC4kQ1e0XqM5xN5pGuu'],
  ])('When the stored hash is %s, then nothing verifies and it needs rehashing', async (_name, stored) => {
    expect(await verifyPassword(PASSWORD, stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  test('When the email is unknown, then verification against nothing still runs and says no', async () => {
    expect(await verifyAgainstNothing(PASSWORD)).toBe(false);
  });
});

describe('Password policy (NIST SP 800-63B)', () => {
  test.each([
    ['11 characters', 'a'.repeat(11), 'at least 12'],
    ['129 characters', 'a'.repeat(129), 'at most 128'],
    ['a common password', 'qwerty123456', 'common'],
    ['a common password in capitals', 'QWERTY123456', 'common'],
    ['the email address', 'someone.long@example.com', 'email'],
    ['the email’s local part', 'someone.long', 'email'],
  ])('When the password is %s, then it is refused', (_name, password, reason) => {
    expect(passwordProblem(password, 'someone.long@example.com')).toContain(reason);
  });

  test.each([
    ['12 characters', 'abcdefghijk1'],
    ['128 characters', 'b'.repeat(128)],
    ['only lower-case letters and spaces', 'the quick brown fox'],
    ['emoji, counted as characters', '🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒'],
  ])('When the password is %s, then it is accepted (no composition rules)', (_name, password) => {
    expect(passwordProblem(password, 'someone@example.com')).toBeNull();
  });

  test('When length is counted, then code points count, not UTF-16 units (6 emoji are 6, not 12)', () => {
    expect(passwordProblem('🔒'.repeat(6))).toContain('at least 12');
  });
});
