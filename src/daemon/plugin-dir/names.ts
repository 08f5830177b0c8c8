// Which names in the plugins directory are plugins at all. A plugin's name is
// its file name; what editors, package managers and copy tools leave next to
// it is not a plugin and is passed over without a word (skipping is not
// refusing: nobody meant these to run).

const BACKUP_SUFFIXES = ['~', '.swp', '.swo', '.tmp', '.bak', '.orig'];
// dpkg leaves foo.dpkg-new/-old/-dist/-tmp; rpm leaves foo.rpmnew/.rpmsave/.rpmorig.
const PACKAGE_LEFTOVER = /\.(dpkg-[^/]*|rpm[^/]*)$/;

export function isIgnoredName(name: string): boolean {
  // Hidden files also cover the temporary files of `rsync` and of editors'
  // atomic saves (".foo.XXXXXX"), which exist only while being written.
  if (name === '' || name.startsWith('.')) return true;
  if (BACKUP_SUFFIXES.some((suffix) => name.endsWith(suffix))) return true;
  return PACKAGE_LEFTOVER.test(name);
}
