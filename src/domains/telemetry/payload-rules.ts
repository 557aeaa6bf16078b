// Limits every JSON telemetry payload is held to, shared by the general parser (payload.ts) and
// its fast path (plain-payload.ts), which must decide exactly alike.
export const MAX_KEY_LENGTH = 255;
/** Before 1973 in ms is almost always a device sending seconds by mistake. */
export const MIN_TS_MS = 100_000_000_000;
