import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { createSecretBox, newWebhookSecret, sign, signatureHeader, verify } from './signature.ts';

describe('Standard Webhooks signatures', () => {
  test('When the specification’s test vector is signed, then the signature is the published one', () => {
    // From the standard-webhooks Python library's tests (references file, §5.1).
    expect(
      sign(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('When a receiver verifies, then any listed secret’s signature passes within 5 minutes, and a changed body, another secret or an old timestamp fails', () => {
    const [current, previous, other] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const at = 1_700_000_000;
    const header = signatureHeader([current, previous], 'msg_1', at, '{"a":1}');
    expect(header.split(' ')).toHaveLength(2);
    const headers = { id: 'msg_1', timestamp: String(at), signature: header };
    expect(verify(current, headers, '{"a":1}', at + 299)).toBe(true);
    expect(verify(previous, headers, '{"a":1}', at - 299)).toBe(true);
    expect(verify(other, headers, '{"a":1}', at)).toBe(false);
    expect(verify(current, headers, '{"a":2}', at)).toBe(false);
    expect(verify(current, headers, '{"a":1}', at + 301)).toBe(false);
    expect(verify(current, { ...headers, timestamp: 'soon' }, '{"a":1}', at)).toBe(false);
  });

  test('When a secret is made, then it is whsec_ and 24 random bytes in base64', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  test('When secrets are sealed for storage, then only the same SECRET_KEY opens them, and a tampered box is refused', () => {
    const box = createSecretBox('a'.repeat(32));
    const sealed = box.seal('whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(() => createSecretBox('b'.repeat(32)).open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('whsec_xyz').toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => box.open('plain')).toThrow('not a sealed webhook secret');
  });

  test('When SECRET_KEY is rotated, then boxes name their key, the previous key still opens its boxes, and only those are stale', () => {
    const before = createSecretBox('a'.repeat(32));
    const old = before.seal('whsec_old');
    const after = createSecretBox('b'.repeat(32), ['a'.repeat(32)]);
    expect(old.split('.').slice(0, 2)).toEqual(['v2', before.keyId]);
    expect(after.keyId).not.toBe(before.keyId);
    expect(after.open(old)).toBe('whsec_old');
    expect(after.stale(old)).toBe(true);
    const fresh = after.seal('whsec_new');
    expect(after.stale(fresh)).toBe(false);
    expect(after.open(fresh)).toBe('whsec_new');
    // The key id is derived one way: it tells which key, never the key.
    expect(old).not.toContain(Buffer.from('a'.repeat(32)).toString('base64').slice(0, 12));
    expect(() => createSecretBox('b'.repeat(32)).open(old)).toThrow(
      `sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS (key id ${before.keyId})`,
    );
  });

  test('When a box was sealed before key ids (v1), then whichever configured key it was sealed under opens it, and it is stale', () => {
    const key = Buffer.from(hkdfSync('sha256', 'a'.repeat(32), 'trading-backend', 'webhook-secrets', 32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update('whsec_legacy', 'utf8'), cipher.final()]);
    const legacy = `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`;
    expect(createSecretBox('a'.repeat(32)).open(legacy)).toBe('whsec_legacy');
    expect(createSecretBox('b'.repeat(32), ['a'.repeat(32)]).open(legacy)).toBe('whsec_legacy');
    expect(createSecretBox('a'.repeat(32)).stale(legacy)).toBe(true);
    expect(() => createSecretBox('b'.repeat(32)).open(legacy)).toThrow(/neither SECRET_KEY nor/);
  });
});
