/** One figure a benchmark reports; `ratio` figures compare two things measured side by side in one run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human statement of the target, e.g. `< 1 ms`. */
  target?: string;
  /** Whether the figure meets its target (undefined when there is none). */
  ok?: boolean;
}

export type Bench = () => Promise<BenchResult[]>;
