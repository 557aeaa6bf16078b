// Block-wise request bodies (RFC 7959 Block1) with a size cap, ahead of the coap library.
// The library reassembles Block1 itself, but without a limit and keyed by the CoAP token, and
// libcoap's coap-client (like other RFC 9175 clients) sends each block with a new token and a
// Request-Tag. So Vigil collects blocks here, keyed by client endpoint, path and Request-Tag,
// answers 2.31 Continue per block, refuses bodies over the cap with 4.13 + Size1, and hands the
// library the whole body as a single last block.
import type { Server } from 'coap';
import type { Socket } from 'node:dgram';
import { generate, type ParsedPacket } from 'coap-packet';

const BLOCK_MORE_BIT = 0x08;
/** RFC 7252 EXCHANGE_LIFETIME: a transfer idle for longer is forgotten. */
const TRANSFER_LIFETIME_MS = 247_000;
/** Transfers in progress at once; with the payload cap this bounds memory (256 x 64 KiB = 16 MiB). */
const MAX_TRANSFERS = 256;

export interface BlockOption {
  num: number;
  more: boolean;
  /** SZX: the block size is 2^(szx+4) bytes. */
  szx: number;
}

function uint(value: Buffer): number {
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

function uintBuffer(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

/** Block option value (RFC 7959 §2.2): NUM, then the M bit, then SZX in the low 3 bits. */
export function parseBlock(value: Buffer): BlockOption {
  const n = uint(value);
  return { num: Math.floor(n / 16), more: (n & BLOCK_MORE_BIT) !== 0, szx: n & 0x07 };
}

export function encodeBlock(block: BlockOption): Buffer {
  const value = uintBuffer(block.num * 16 + (block.more ? BLOCK_MORE_BIT : 0) + block.szx);
  // A zero value is allowed empty by RFC 7252, but the coap library reads Block options of
  // 1-3 bytes only: block 0 of 16-byte blocks, last, must still be one byte.
  return value.length === 0 ? Buffer.of(0) : value;
}

interface Transfer {
  parts: Buffer[];
  bytes: number;
  touchedAt: number;
}

type Rsinfo = { port: number; address: string };
type Middleware = (request: { packet?: ParsedPacket; rsinfo: Rsinfo; server: Server }, next: (err: Error | null) => void) => void;

export class Block1Intake {
  private readonly transfers = new Map<string, Transfer>();

  constructor(
    private readonly maxBytes: number,
    private readonly onTooLarge: (bytes: number) => void,
  ) {}

  /** Puts the intake in front of the library's request handling (its last middleware). */
  install(server: Server): void {
    const middlewares = server._middlewares as Middleware[];
    const handle = middlewares[middlewares.length - 1]!;
    middlewares[middlewares.length - 1] = (request, next) => {
      const packet = request.packet;
      const isRequest = packet && /^0\.0[1-7]$/.test(packet.code);
      if (!isRequest || this.intercept(server, packet, request.rsinfo)) return handle(request, next);
      next(null);
    };
  }

  /** Returns true when the library should handle the (possibly rewritten) packet. */
  private intercept(server: Server, packet: ParsedPacket, from: Rsinfo): boolean {
    const payload = packet.payload ?? Buffer.alloc(0);
    const blockOption = packet.options.find((o) => o.name === 'Block1');
    const size1 = packet.options.find((o) => o.name === 'Size1');
    const block = blockOption ? parseBlock(blockOption.value) : null;
    const reach = Math.max(payload.length + (block ? block.num * 2 ** (block.szx + 4) : 0), size1 ? uint(size1.value) : 0);
    const key = block ? transferKey(packet, from) : '';
    if (reach > this.maxBytes) {
      this.transfers.delete(key);
      this.onTooLarge(reach);
      reply(server, packet, from, '4.13', [{ name: 'Size1', value: uintBuffer(this.maxBytes) }], `payload of ${reach} bytes exceeds the ${this.maxBytes}-byte limit`);
      return false;
    }
    if (!block) return true;

    const now = Date.now();
    const offset = block.num * 2 ** (block.szx + 4);
    let transfer = this.transfers.get(key);
    if (block.num === 0) {
      this.sweep(now);
      transfer = { parts: [], bytes: 0, touchedAt: now };
      this.transfers.set(key, transfer);
    }
    if (!transfer) {
      reply(server, packet, from, '4.08', [], 'block-wise transfer unknown or expired: start again from block 0');
      return false;
    }
    if (offset === transfer.bytes) {
      transfer.parts.push(payload);
      transfer.bytes += payload.length;
      transfer.touchedAt = now;
    } else if (offset + payload.length !== transfer.bytes) {
      // Not the next block and not a repeat of the last one (a repeat is just acknowledged again).
      this.transfers.delete(key);
      reply(server, packet, from, '4.08', [], `expected the block at byte ${transfer.bytes}, got one at byte ${offset}`);
      return false;
    }
    if (block.more) {
      reply(server, packet, from, '2.31', [{ name: 'Block1', value: encodeBlock(block) }]);
      return false;
    }
    this.transfers.delete(key);
    // The library sees one complete last block: number 0, no more to come.
    packet.payload = Buffer.concat(transfer.parts, transfer.bytes);
    blockOption!.value = encodeBlock({ num: 0, more: false, szx: block.szx });
    return true;
  }

  private sweep(now: number): void {
    for (const [key, t] of this.transfers) if (now - t.touchedAt > TRANSFER_LIFETIME_MS) this.transfers.delete(key);
    // Oldest first (insertion order): a flood of unfinished transfers evicts the oldest ones.
    while (this.transfers.size >= MAX_TRANSFERS) this.transfers.delete(this.transfers.keys().next().value!);
  }
}

function transferKey(packet: ParsedPacket, from: Rsinfo): string {
  const path = packet.options.filter((o) => o.name === 'Uri-Path').map((o) => o.value.toString());
  // Request-Tag (RFC 9175, option 292) is not in the packet library's name table.
  const tag = packet.options.find((o) => o.name === 292 || String(o.name) === 'Request-Tag');
  return `${from.address}|${from.port}|${path.join('/')}|${tag ? tag.value.toString('hex') : ''}`;
}

/** Answers a request directly: piggybacked on the ACK when confirmable. */
function reply(server: Server, packet: ParsedPacket, to: Rsinfo, code: string, options: { name: string; value: Buffer }[], message?: string): void {
  const datagram = generate({
    code,
    messageId: packet.confirmable ? packet.messageId : (packet.messageId + 1) & 0xffff,
    token: packet.token,
    ack: packet.confirmable,
    confirmable: false,
    options,
    payload: message ? Buffer.from(message) : undefined,
  });
  (server._sock as Socket | null)?.send(datagram, to.port, to.address);
}
