// MQTT 5 reason codes Vigil sends (spec 2.4), and the MQTT 3.1.1 CONNACK return codes (3.2.2.3).
export const Reason = {
  success: 0x00,
  grantedQos1: 0x01,
  noSubscriptionExisted: 0x11,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  serverShuttingDown: 0x8b,
} as const;

export const ReturnCode311 = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** The MQTT 3.1.1 CONNACK return code closest to an MQTT 5 CONNACK reason code. */
export function returnCodeFor311(reason: number): number {
  switch (reason) {
    case Reason.success:
      return ReturnCode311.accepted;
    case Reason.unsupportedProtocolVersion:
      return ReturnCode311.unacceptableProtocolVersion;
    case Reason.clientIdentifierNotValid:
      return ReturnCode311.identifierRejected;
    case Reason.badUserNameOrPassword:
      return ReturnCode311.badUserNameOrPassword;
    case Reason.notAuthorized:
      return ReturnCode311.notAuthorized;
    default:
      return ReturnCode311.serverUnavailable;
  }
}
