// Which directory entries are plugins at all. Hidden files and the leftovers
// of editors and package managers are skipped silently: they were never
// meant to run, so they are not "refused" either.
const IGNORED = [/^\./, /~$/, /\.swp$/, /\.swx$/, /\.tmp$/, /\.dpkg-[a-z]+$/, /\.rpm(new|save|orig)$/];

export function isCandidateName(name: string): boolean {
  return name !== '' && !IGNORED.some((pattern) => pattern.test(name));
}
