// Remembering what a plugin looked up: where it runs (asked once for its
// life) and the cloud clients it made (one per region, project or
// subscription). A success is kept, a failure is not, so a later call asks
// again; concurrent callers share one lookup in flight.

/** `lookup`, asked once; see above. */
export function rememberSuccess<T>(lookup: () => Promise<T>): () => Promise<T> {
  let known: Promise<T> | undefined;
  return () => {
    known ??= lookup().catch((error: unknown) => {
      known = undefined;
      throw error;
    });
    return known;
  };
}

/** `make`, asked once per key; see above. */
export function rememberPerKey<K, T>(make: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const known = new Map<K, Promise<T>>();
  return (key) => {
    let found = known.get(key);
    if (found === undefined) {
      const made = make(key);
      found = made;
      known.set(key, made);
      made.catch(() => {
        if (known.get(key) === made) known.delete(key);
      });
    }
    return found;
  };
}
