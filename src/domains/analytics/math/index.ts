/**
 * Shared numeric helpers for Vigil's analytics cores (forecasting, trends, maintenance).
 * Pure functions, no dependencies; arrays in, numbers out.
 */
export * from './stats.js';
export * from './linear-regression.js';
export { nelderMead, type NelderMeadOptions } from './nelder-mead.js';
