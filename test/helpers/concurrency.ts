// How many intervals overlap at most: the start gate's limit, checked from
// log times by the scale test and reported by the bench. Pure.

/** [start, end] pairs; at equal times an end counts before a start (a slot handed over is not two at once). */
export function mostAtOnce(intervals: ReadonlyArray<readonly [number, number]>): number {
  const events = intervals.flatMap(([start, end]) => [
    { at: start, step: 1 },
    { at: end, step: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const event of events) {
    running += event.step;
    most = Math.max(most, running);
  }
  return most;
}
