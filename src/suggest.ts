// "Did you mean": the known name closest to a mistyped one.

/** Edit distance with transpositions (optimal string alignment): `histroy` is 1 from `history`. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate `word` was probably meant to be (a typo: at most a third of it differs; or the same
 * but for case), for a "did you mean" hint; undefined when none is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const sameButCase = candidates.find((c) => c.toLowerCase() === word.toLowerCase());
  if (sameButCase !== undefined) return sameButCase;
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d <= Math.max(1, Math.floor(Math.max(word.length, c.length) / 3)) && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}
