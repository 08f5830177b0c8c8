// "did you mean": typos in key names are the most common config mistake, and
// the nearest known key is usually what was meant.

/** The known word closest to `word`, if it is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const normal = normalize(word);
  // plugins_dir, PluginsDir, plugins-dir: same key in another spelling convention.
  const sameWord = candidates.find((candidate) => normalize(candidate) === normal);
  if (sameWord !== undefined) return sameWord;
  // warning → warn, err → error: a longer or shorter form of a known word.
  if (normal.length >= 3) {
    const affixes = candidates.filter((candidate) => {
      const known = normalize(candidate);
      return known.length >= 3 && (known.startsWith(normal) || normal.startsWith(known));
    });
    // plugin → plugins (not pluginsDir), pluginsDirectory → pluginsDir (not plugins): the nearest length wins.
    const gap = (candidate: string): number => Math.abs(normalize(candidate).length - normal.length);
    const nearest = affixes.sort((a, b) => gap(a) - gap(b))[0];
    if (nearest !== undefined) return nearest;
  }
  const limit = normal.length <= 4 ? 1 : normal.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(normal, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function normalize(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, '');
}

/** Optimal string alignment distance: a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}
