// Published figures to print beside ours (from ../shared/datasets/README.md; NAB's are also read
// from NAB/results/final_results.json when present).

export interface PublishedSkab {
  name: string;
  f1: number;
  farPercent: number;
  marPercent: number;
}

/** SKAB leaderboard predictions restricted to valve1 (the development subset). */
export const SKAB_VALVE1: PublishedSkab[] = [
  { name: 'Conv-AE', f1: 0.75, farPercent: 14.4, marPercent: 31.84 },
  { name: 'MSET', f1: 0.78, farPercent: 38.53, marPercent: 14.98 },
  { name: 'T²+Q (PCA)', f1: 0.76, farPercent: 23.89, marPercent: 26.09 },
  { name: 'LSTM-AE', f1: 0.7, farPercent: 25.37, marPercent: 34.76 },
  { name: 'T²', f1: 0.65, farPercent: 19.94, marPercent: 44.05 },
  { name: 'Isolation Forest', f1: 0.21, farPercent: 1.14, marPercent: 88.38 },
];

/** The whole-benchmark leaderboard (34 files), for context. */
export const SKAB_ALL: PublishedSkab[] = [
  { name: 'Conv-AE', f1: 0.78, farPercent: 13.55, marPercent: 28.02 },
  { name: 'MSET', f1: 0.78, farPercent: 39.73, marPercent: 14.13 },
  { name: 'T²+Q (PCA)', f1: 0.76, farPercent: 26.62, marPercent: 24.92 },
  { name: 'Isolation Forest', f1: 0.29, farPercent: 2.56, marPercent: 82.89 },
];

export interface PublishedNab {
  name: string;
  standard: number;
  lowFp: number;
  lowFn: number;
}

/** Whole-corpus NAB scoreboard (README), used when final_results.json is absent. */
export const NAB_BOARD: PublishedNab[] = [
  { name: 'ARTime', standard: 74.9, lowFp: 65.1, lowFn: 80.4 },
  { name: 'Numenta HTM', standard: 70.1, lowFp: 63.1, lowFn: 74.3 },
  { name: 'CAD OSE', standard: 69.9, lowFp: 67.0, lowFn: 73.2 },
  { name: 'earthgecko Skyline', standard: 58.2, lowFp: 46.2, lowFn: 63.9 },
  { name: 'KNN CAD', standard: 58.0, lowFp: 43.4, lowFn: 64.8 },
  { name: 'Random Cut Forest', standard: 51.7, lowFp: 38.4, lowFn: 59.7 },
  { name: 'Windowed Gaussian', standard: 39.6, lowFp: 20.9, lowFn: 47.4 },
  { name: 'Random', standard: 11.0, lowFp: 1.2, lowFn: 19.5 },
];
