/**
 * The shape every benchmark reports. A figure is a ratio against a baseline measured in the same
 * run on the same machine, never an absolute time compared with a constant.
 */
export interface Figure {
  /** What was measured, e.g. "pack start (spawn to port)". */
  name: string;
  /** The measured value of our code (median), in `unit`. */
  value: number;
  /** The baseline measured in the same run, in `unit`. */
  baseline: number;
  /** value / baseline (or baseline / value for throughputs, so that lower is always better). */
  ratio: number;
  /** The target for the ratio, e.g. "<= 1.3". */
  target: string;
  /** ms, ops/s, KB, ... */
  unit: string;
  /** Whether the ratio meets the target. */
  pass: boolean;
  /**
   * For figures measured in interleaved rounds (ours and the baseline back to back, in
   * alternating order): how many rounds, and the lowest and highest per-round ratio. `ratio` is
   * then the median of the per-round ratios, which one noisy round cannot move.
   */
  rounds?: number;
  spread?: [number, number];
  /** A figure shown for what it tells, with no target to meet (`pass` is then true). */
  noTarget?: boolean;
}

/** One benchmark module: `bench/<name>.bench.ts` exports `default` of this type. */
export interface Benchmark {
  name: string;
  /** Measures and returns its figures; may spawn processes but must stop them before it returns. */
  run(): Promise<Figure[]>;
}

/** A figure where lower is better: ratio = value / baseline. */
export function lowerIsBetter(
  name: string,
  value: number,
  baseline: number,
  max: number,
  unit: string,
): Figure {
  const ratio = value / baseline;
  return { name, value, baseline, ratio, target: `<= ${max}`, unit, pass: ratio <= max };
}

/** A figure where higher is better (throughput): ratio = value / baseline, target a minimum. */
export function higherIsBetter(
  name: string,
  value: number,
  baseline: number,
  min: number,
  unit: string,
): Figure {
  const ratio = value / baseline;
  return { name, value, baseline, ratio, target: `>= ${min}`, unit, pass: ratio >= min };
}

/** The median of a list of samples. */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A figure from interleaved rounds: `ours[i]` and `baseline[i]` were measured back to back in
 * round i. The ratio is the median of the per-round ratios, with their range.
 */
function paired(
  name: string,
  ours: number[],
  baseline: number[],
  unit: string,
  bound: { max: number } | { min: number },
): Figure {
  const ratios = ours.map((v, i) => v / baseline[i]);
  const ratio = median(ratios);
  return {
    name,
    value: median(ours),
    baseline: median(baseline),
    ratio,
    target: "max" in bound ? `<= ${bound.max}` : `>= ${bound.min}`,
    unit,
    pass: "max" in bound ? ratio <= bound.max : ratio >= bound.min,
    rounds: ratios.length,
    spread: [Math.min(...ratios), Math.max(...ratios)],
  };
}

/** {@link paired} where lower is better (times): the median per-round ratio is at most `max`. */
export function pairedLowerIsBetter(
  name: string,
  ours: number[],
  baseline: number[],
  max: number,
  unit: string,
): Figure {
  return paired(name, ours, baseline, unit, { max });
}

/** {@link paired} shown with no target: a ratio worth reading that no change here can move. */
export function pairedNoTarget(
  name: string,
  ours: number[],
  baseline: number[],
  unit: string,
): Figure {
  const figure = paired(name, ours, baseline, unit, { max: Infinity });
  return { ...figure, target: "none", pass: true, noTarget: true };
}

/** {@link paired} for throughputs: the median per-round ours / baseline is at least `min`. */
export function pairedHigherIsBetter(
  name: string,
  ours: number[],
  baseline: number[],
  min: number,
  unit: string,
): Figure {
  return paired(name, ours, baseline, unit, { min });
}
