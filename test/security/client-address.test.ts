/**
 * The pure parts behind the rate limits and logs: the client address from the socket and
 * X-Forwarded-For (src/http/client-address.ts), the request id, and the rate-limit keys.
 */
import { addressKey, loginAddressKey, loginUserKey } from '../../src/auth/rate-limits';
import { clientAddress, normalizeAddress, requestIdFrom } from '../../src/http/client-address';

describe('clientAddress', () => {
  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('10.0.0.5', '1.2.3.4', 0)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', ['1.2.3.4', '5.6.7.8'], 0)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', undefined, 3)).toBe('10.0.0.5');
  });

  it('walks as many hops from the right as are trusted, never further', () => {
    const xff = 'spoofed-by-client, 198.51.100.7, 203.0.113.1';
    expect(clientAddress('10.0.0.1', xff, 1)).toBe('203.0.113.1');
    expect(clientAddress('10.0.0.1', xff, 2)).toBe('198.51.100.7');
    // The third hop from the right is what the client wrote: not an address, so we stop.
    expect(clientAddress('10.0.0.1', xff, 3)).toBe('198.51.100.7');
    // More trusted hops than entries: the leftmost entry a trusted proxy vouched for.
    expect(clientAddress('10.0.0.1', '198.51.100.7', 5)).toBe('198.51.100.7');
  });

  it('reads repeated headers as one list and ignores empty entries', () => {
    expect(clientAddress('10.0.0.1', ['1.1.1.1', '2.2.2.2, 3.3.3.3'], 1)).toBe('3.3.3.3');
    expect(clientAddress('10.0.0.1', '1.1.1.1, , ', 1)).toBe('1.1.1.1');
    expect(clientAddress('10.0.0.1', '', 1)).toBe('10.0.0.1');
  });

  it('normalizes ports, brackets, zones, case and IPv4-mapped IPv6', () => {
    expect(clientAddress('::ffff:127.0.0.1', undefined, 0)).toBe('127.0.0.1');
    expect(clientAddress('10.0.0.1', '203.0.113.9:4711', 1)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.1', '[2001:DB8::1]:443', 1)).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('999.1.1.1')).toBeUndefined();
    expect(normalizeAddress('<script>')).toBeUndefined();
    expect(clientAddress(undefined, undefined, 0)).toBe('unknown');
  });
});

describe('requestIdFrom', () => {
  it('keeps a sane short token', () => {
    for (const id of ['abc', 'req-123_4.5:6', 'f47ac10b-58cc-4372-a567-0e02b2c3d479']) {
      expect(requestIdFrom(id)).toBe(id);
    }
  });

  it('replaces anything else with a fresh UUID', () => {
    for (const id of [
      undefined,
      '',
      'x'.repeat(65),
      'a b',
      '<script>',
      'line\nbreak',
      '-lead',
      ['a', 'b'],
    ]) {
      const made = requestIdFrom(id);
      expect(made).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(made).not.toBe(id);
    }
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe('rate-limit keys', () => {
  it('use the canonical username and hash absurdly long ones', () => {
    expect(loginUserKey('Bob')).toBe(loginUserKey('bob'));
    expect(loginUserKey('\uFF42ob')).toBe('login:user:bob');
    expect(loginUserKey('x'.repeat(100_000)).length).toBeLessThan(100);
    expect(loginUserKey('x'.repeat(100_000))).not.toBe(loginUserKey('y'.repeat(100_000)));
  });

  it('group an IPv6 client by its /64, however it is written', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('203.0.113.5')).toBe('203.0.113.5');
    expect(loginAddressKey({ address: '2001:db8:1:2::99' })).toBe(
      'login:address:2001:db8:1:2::/64',
    );
  });
});
