import * as ipaddr from "ipaddr.js";

/** An IPv4 CIDR block, with its first and last addresses as integers for range arithmetic. */
export interface Ipv4Block {
  readonly text: string;
  readonly prefixLength: number;
  readonly first: number;
  readonly last: number;
}

const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/**
 * Parses `a.b.c.d/n` strictly: four decimal octets, a prefix length, and no host bits set
 * (`10.0.1.5/24` is rejected, since AWS would silently mean `10.0.1.0/24`).
 */
export function parseIpv4Block(text: string): Ipv4Block | undefined {
  const [address, prefix, ...rest] = text.split("/");
  if (address === undefined || prefix === undefined || rest.length > 0) return undefined;
  if (!ipaddr.IPv4.isValidFourPartDecimal(address) || !/^\d{1,2}$/.test(prefix)) return undefined;
  const prefixLength = Number(prefix);
  if (prefixLength > 32) return undefined;
  const network = ipaddr.IPv4.networkAddressFromCIDR(text);
  if (network.toString() !== address) return undefined;
  const first = toInteger(network);
  const size = 2 ** (32 - prefixLength);
  return { text, prefixLength, first, last: first + size - 1 };
}

/** True when every address of `inner` lies in `outer`. */
export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

/** True when the two blocks share at least one address. */
export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when the block lies inside one of the RFC 1918 private ranges. */
export function isPrivateBlock(block: Ipv4Block): boolean {
  return RFC1918.some((range) => blockContains(parseIpv4Block(range) as Ipv4Block, block));
}

/**
 * The Amazon DNS server of a VPC: the base of its IPv4 range plus two
 * (https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html), the resolver tasks in it use.
 */
export function vpcResolverAddress(cidr: string): string {
  const block = parseIpv4Block(cidr);
  if (!block) throw new Error(`${cidr} is not an IPv4 CIDR block`);
  return ipaddr
    .fromByteArray([24, 16, 8, 0].map((shift) => Math.floor((block.first + 2) / 2 ** shift) % 256))
    .toString();
}

function toInteger(address: ipaddr.IPv4): number {
  return address.toByteArray().reduce((value, octet) => value * 256 + octet, 0);
}
