export { addConfusion, emptyConfusion, skabMetrics, type Confusion, type SkabMetrics } from './skab.js';
export { NAB_PROFILES, normaliseNab, probationRows, scaledSigmoid, scoreNabFile, windowRows, type NabFileScore, type NabProfile } from './nab.js';
export { NAB_BOARD, SKAB_ALL, SKAB_VALVE1, type PublishedNab, type PublishedSkab } from './published.js';
