// SKAB's outlier-detection metrics: per-row confusion counts pooled over files, then
// F1 = TP / (TP + (FN + FP)/2), FAR = FP/(FP+TN)·100, MAR = FN/(FN+TP)·100.

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export const emptyConfusion = (): Confusion => ({ tp: 0, fp: 0, tn: 0, fn: 0 });

/** Adds one file's rows from `fromRow` on (SKAB fits on the first 400 rows and scores the rest). */
export function addConfusion(acc: Confusion, labels: readonly boolean[], predicted: readonly boolean[], fromRow = 0): Confusion {
  if (labels.length !== predicted.length) throw new Error(`labels (${labels.length}) and predictions (${predicted.length}) differ in length`);
  for (let i = fromRow; i < labels.length; i++) {
    if (labels[i]) predicted[i] ? acc.tp++ : acc.fn++;
    else predicted[i] ? acc.fp++ : acc.tn++;
  }
  return acc;
}

export interface SkabMetrics {
  f1: number;
  farPercent: number;
  marPercent: number;
  precision: number;
  recall: number;
}

export function skabMetrics(c: Confusion): SkabMetrics {
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    f1: ratio(c.tp, c.tp + (c.fn + c.fp) / 2),
    farPercent: 100 * ratio(c.fp, c.fp + c.tn),
    marPercent: 100 * ratio(c.fn, c.fn + c.tp),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
  };
}
