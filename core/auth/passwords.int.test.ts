import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@jest/globals';
import { ROOT } from '../../test/processes.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

// argon2-cffi (the bindings of the argon2 reference implementation, provisioned by
// scripts/python-test-tools.sh) is the independent reference for the PHC strings made and read here.
const python = path.join(process.env.TEST_PYTHON_BIN ?? path.join(ROOT, '.tools', 'bin'), 'python');

const REFERENCE = `
import json, sys
from argon2 import PasswordHasher, Type
task = json.load(sys.stdin)
hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
verified = []
for phc in task["ours"]:
    try:
        verified.append(hasher.verify(phc, task["password"]))
    except Exception:
        verified.append(False)
print(json.dumps({"verified": verified, "theirs": hasher.hash(task["password"]), "params": hasher.check_needs_rehash(task["ours"][0])}))
`;

async function reference(password: string, ours: string[]) {
  const child = promisify(execFile)(python, ['-c', REFERENCE], { timeout: 30_000 });
  child.child.stdin!.end(JSON.stringify({ password, ours }));
  return JSON.parse((await child).stdout) as { verified: boolean[]; theirs: string; params: boolean };
}

test('When the reference argon2 reads our hashes and we read its, then both agree (same password yes, another no, same parameters)', async () => {
  const password = 'Ünïcödé and spaces: a long passphrase';
  const ours = await hashPassword(password);
  const other = await hashPassword('a different long passphrase');
  const result = await reference(password, [ours, other]);
  expect(result.verified).toEqual([true, false]);
  // The reference with OWASP's parameters finds nothing to upgrade in our hash.
  expect(result.params).toBe(false);
  expect(result.theirs).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  expect(await verifyPassword(password, result.theirs)).toBe(true);
  expect(await verifyPassword(`${password}!`, result.theirs)).toBe(false);
});
