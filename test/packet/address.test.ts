import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketError } from '../../src/internal/errors.js';
import { formatIpv4, formatIpv6, formatMac, parseIp, parseIpv4, parseIpv6, parseMac } from '../../src/packet/address.js';

describe('packet', () => {
  describe('addresses', () => {
    it.each([
      { name: 'plain', have: '02:00:00:00:00:01', want: '02:00:00:00:00:01' },
      { name: 'upper case, dashes', have: 'AA-BB-CC-0D-0E-0F', want: 'aa:bb:cc:0d:0e:0f' },
      { name: 'single digits', have: '2:0:0:0:0:a', want: '02:00:00:00:00:0a' },
    ])('parses and formats a MAC address ($name)', ({ have, want }) => {
      expect(formatMac(parseMac(have))).toBe(want);
    });

    it.each([
      { name: 'RFC 5952 §4.2.2: no :: for one zero group', have: '2001:db8:0:1:1:1:1:1', want: '2001:db8:0:1:1:1:1:1' },
      { name: 'RFC 5952 §4.2.3: longest run', have: '2001:0:0:1:0:0:0:1', want: '2001:0:0:1::1' },
      { name: 'RFC 5952 §4.2.3: first of equal runs', have: '2001:db8:0:0:1:0:0:1', want: '2001:db8::1:0:0:1' },
      { name: 'RFC 5952 §4.3: lowercase', have: '2001:DB8::ABCD', want: '2001:db8::abcd' },
      { name: 'leading zeros dropped', have: '2001:0db8:0000:0000:0000:0000:0000:0001', want: '2001:db8::1' },
      { name: 'all zeros', have: '::', want: '::' },
      { name: 'loopback', have: '::1', want: '::1' },
      { name: 'trailing ::', have: 'fe80::', want: 'fe80::' },
      { name: 'IPv4-mapped, RFC 5952 §5', have: '::ffff:192.0.2.1', want: '::ffff:192.0.2.1' },
      { name: 'embedded IPv4 elsewhere', have: '64:ff9b::192.0.2.33', want: '64:ff9b::c000:221' },
    ])('parses and formats an IPv6 address ($name)', ({ have, want }) => {
      expect(formatIpv6(parseIpv6(have))).toBe(want);
    });

    it('formats and parses every IPv4 address back', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
          expect(parseIpv4(formatIpv4(b))).toEqual(b);
        }),
      );
    });

    it('formats and parses every IPv6 address back', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (g) => {
          const b = new Uint8Array(16);
          g.forEach((v, i) => {
            b[2 * i] = v >> 8;
            b[2 * i + 1] = v & 0xff;
          });
          expect(parseIpv6(formatIpv6(b))).toEqual(b);
        }),
      );
    });

    it('tells IPv4 from IPv6 by the colon', () => {
      expect(parseIp('10.0.0.1')).toHaveLength(4);
      expect(parseIp('fd00::1')).toHaveLength(16);
    });

    it.each([
      { name: 'MAC with 5 parts', have: () => parseMac('02:00:00:00:01') },
      { name: 'MAC with a 3-digit part', have: () => parseMac('02:00:00:00:00:100') },
      { name: 'IPv4 octet over 255', have: () => parseIpv4('10.0.0.256') },
      { name: 'IPv4 with 3 parts', have: () => parseIpv4('10.0.1') },
      { name: 'IPv4 leading zero', have: () => parseIpv4('10.0.0.01') },
      { name: 'IPv6 with two ::', have: () => parseIpv6('1::2::3') },
      { name: 'IPv6 with 9 groups', have: () => parseIpv6('1:2:3:4:5:6:7:8:9') },
      { name: 'IPv6 with 7 groups and no ::', have: () => parseIpv6('1:2:3:4:5:6:7') },
      { name: 'IPv6 group of 5 digits', have: () => parseIpv6('12345::') },
      { name: 'IPv6 :: with 8 groups', have: () => parseIpv6('1:2:3:4::5:6:7:8') },
      { name: 'IPv6 bad embedded IPv4', have: () => parseIpv6('::ffff:1.2.3') },
    ])('rejects a bad address ($name)', ({ have }) => {
      expect(have).toThrow(PacketError);
      try {
        have();
      } catch (err) {
        expect((err as PacketError).code).toBe('packet/bad-address');
      }
    });
  });
});
