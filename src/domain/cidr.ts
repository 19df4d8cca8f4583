import { BlockList, isIP } from 'node:net';

const cache = new Map<string, BlockList>();

/** Parses "10.0.0.0/8" or "2001:db8::/32"; undefined when malformed. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [, address, bits] = /^([^/]+)\/(\d{1,3})$/.exec(cidr) ?? [];
  if (address === undefined || bits === undefined) return undefined;
  const version = isIP(address);
  const prefix = Number(bits);
  if (version === 4 && prefix <= 32) return { address, prefix, family: 'ipv4' };
  if (version === 6 && prefix <= 128) return { address, prefix, family: 'ipv6' };
  return undefined;
}

function blockListFor(cidrs: string[]): BlockList {
  const id = cidrs.join(',');
  let list = cache.get(id);
  if (!list) {
    list = new BlockList();
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (p) list.addSubnet(p.address, p.prefix, p.family);
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(id, list);
  }
  return list;
}

/** Empty allowlist = any address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked as IPv4. */
export function ipAllowed(cidrs: string[], ip: string | null): boolean {
  if (cidrs.length === 0) return true;
  if (!ip) return false;
  const addr = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
  const family = isIP(addr);
  if (family === 0) return false;
  return blockListFor(cidrs).check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
