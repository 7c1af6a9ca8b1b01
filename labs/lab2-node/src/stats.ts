/** Summary statistics of a list of numbers (reading times in minutes, say). */
export interface Stats {
  count: number;
  min: number;
  max: number;
  mean: number;
  median: number;
}

export function summarise(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / n;
  return { count: n, min: sorted[0]!, max: sorted[n - 1]!, mean: Math.round(mean * 1000) / 1000, median };
}
