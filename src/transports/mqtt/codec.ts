// Bytes <-> MQTT packets. Framing is ours: the fixed header's remaining length is read first and
// checked against the maximum packet size, so an oversize packet is refused before its body is
// buffered. Each complete frame is then decoded by mqtt-packet (3.1, 3.1.1 and 5.0). One parser
// is shared by every connection: it is handed exactly one whole packet at a time, so it keeps
// no state between calls and costs idle connections nothing.
import mqttPacket from 'mqtt-packet';
import type { IPublishPacket, Packet } from 'mqtt-packet';

export type ProtocolVersion = 3 | 4 | 5;

/** Result of looking at the start of a buffer for one frame. */
export const FRAME_INCOMPLETE = -1;
export const FRAME_MALFORMED = -2;

/**
 * Total length of the frame starting at `offset` (fixed header included), FRAME_INCOMPLETE when
 * the fixed header is not complete yet, FRAME_MALFORMED for a remaining length over 4 bytes.
 */
export function frameLength(buf: Buffer, offset: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= buf.length) return FRAME_INCOMPLETE;
    const byte = buf[offset + i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  return FRAME_MALFORMED;
}

const settingsByVersion: Record<ProtocolVersion, { protocolVersion: ProtocolVersion }> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};

class SharedDecoder {
  private parser = this.fresh();
  private packet: Packet | null = null;
  private error: Error | null = null;

  private fresh() {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => (this.packet = p));
    parser.on('error', (e: Error) => (this.error = e));
    return parser;
  }

  /** Decodes one whole frame; an Error for a malformed packet. */
  decode(frame: Buffer, version: ProtocolVersion): Packet | Error {
    if (frame[0]! >> 4 === PUBLISH_TYPE) {
      const publish = decodePlainPublish(frame, version);
      if (publish) return publish;
    }
    this.packet = null;
    this.error = null;
    (this.parser as unknown as { settings: object }).settings = settingsByVersion[version];
    try {
      this.parser.parse(frame);
    } catch (err) {
      this.error = err as Error;
    }
    const packet = this.packet;
    const error = this.error;
    this.packet = null;
    this.error = null;
    if (error || !packet) {
      // Whatever the parser holds after a failure belongs to no connection: start clean.
      this.parser.removeAllListeners();
      this.parser = this.fresh();
      return error ?? new Error('incomplete packet');
    }
    return packet;
  }
}

const PUBLISH_TYPE = 3;

/**
 * The hot path: a well-formed PUBLISH without properties, decoded here into the packet mqtt-packet
 * would give (its parser costs several times more: a buffer list, a debug call per step). Null
 * for anything else (QoS 3, a truncated topic or packet id, MQTT 5 properties): mqtt-packet
 * decides those, errors included.
 */
export function decodePlainPublish(frame: Buffer, version: ProtocolVersion): IPublishPacket | null {
  const first = frame[0]!;
  const qos = (first >> 1) & 3;
  if (qos === 3) return null;
  let at = 1;
  while (at < 5 && at < frame.length && (frame[at]! & 0x80) !== 0) at++;
  at++; // past the remaining length
  const length = frame.length - at;
  if (at + 2 > frame.length) return null;
  const topicEnd = at + 2 + frame.readUInt16BE(at);
  const idEnd = qos > 0 ? topicEnd + 2 : topicEnd;
  if (idEnd > frame.length) return null;
  let payloadAt = idEnd;
  if (version === 5) {
    // Properties: only their absence (a zero length) is taken here.
    if (payloadAt >= frame.length || frame[payloadAt] !== 0) return null;
    payloadAt++;
  }
  const packet: IPublishPacket = {
    cmd: 'publish',
    retain: (first & 1) !== 0,
    qos: qos as IPublishPacket['qos'],
    dup: (first & 8) !== 0,
    length,
    topic: frame.toString('utf8', at + 2, topicEnd),
    payload: frame.subarray(payloadAt),
  };
  if (qos > 0) packet.messageId = frame.readUInt16BE(topicEnd);
  return packet;
}

export const decoder = new SharedDecoder();

/**
 * The protocol level a CONNECT frame asks for, read before mqtt-packet sees it (its parser
 * rejects unknown levels with an error, and the spec wants a CONNACK for them). -1 if unreadable.
 */
export function connectProtocolLevel(frame: Buffer): number {
  let bodyStart = 1;
  while (bodyStart < 5 && bodyStart < frame.length && (frame[bodyStart]! & 0x80) !== 0) bodyStart++;
  bodyStart++;
  if (bodyStart + 2 > frame.length) return -1;
  const levelAt = bodyStart + 2 + frame.readUInt16BE(bodyStart);
  return levelAt < frame.length ? frame[levelAt]! : -1;
}

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, settingsByVersion[version]);
}

// The acknowledgements are the hot path: written by hand, without a generator round trip.
// A v5 ack with reason 0 and no properties may omit both (spec 3.4.2.1).
const ACK_TYPE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

export function encodeAck(kind: keyof typeof ACK_TYPE, messageId: number, reason: number, reasonString: string | null, version: ProtocolVersion): Buffer {
  if (version === 5 && reasonString) {
    return encode({ cmd: kind, messageId, reasonCode: reason, properties: { reasonString } } as Packet, 5);
  }
  if (version === 5 && reason !== 0) {
    return Buffer.from([ACK_TYPE[kind], 3, messageId >> 8, messageId & 0xff, reason]);
  }
  return Buffer.from([ACK_TYPE[kind], 2, messageId >> 8, messageId & 0xff]);
}

export const PINGRESP = Buffer.from([0xd0, 0]);
/** MQTT 3.1.1 CONNACK "unacceptable protocol version", the answer to a level we do not speak. */
export const CONNACK_UNSUPPORTED_VERSION = Buffer.from([0x20, 2, 0, 1]);
