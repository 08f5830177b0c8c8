// The plugins directory itself is unusable: one error that names the
// directory and says what to do.

export type PluginDirErrorCode = 'PLUGINS_DIR_MISSING' | 'PLUGINS_DIR_NOT_A_DIRECTORY' | 'PLUGINS_DIR_UNREADABLE' | 'PLUGINS_DIR_REMOVED';

export class PluginDirError extends Error {
  override readonly name = 'PluginDirError';
  readonly code: PluginDirErrorCode;
  readonly dir: string;

  constructor(code: PluginDirErrorCode, dir: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.dir = dir;
  }
}

/** Turns the error of reading (or watching) `dir` into a PluginDirError that says what to do. */
export function pluginDirError(dir: string, error: unknown): PluginDirError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = (error as Error | undefined)?.message ?? String(error);
  switch (code) {
    case 'ENOENT':
      return new PluginDirError(
        'PLUGINS_DIR_MISSING',
        dir,
        `plugins directory ${dir} does not exist; create it (mkdir -p ${dir} && chmod 755 ${dir}) or pass --plugins-dir`,
        { cause: error },
      );
    case 'ENOTDIR':
      return new PluginDirError(
        'PLUGINS_DIR_NOT_A_DIRECTORY',
        dir,
        `plugins directory ${dir} is not a directory; point --plugins-dir at the directory that holds the plugin executables`,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
      return new PluginDirError(
        'PLUGINS_DIR_UNREADABLE',
        dir,
        `plugins directory ${dir} cannot be read by the daemon (uid ${process.getuid?.() ?? '?'}): ${code}; ` +
          `make it readable (chmod 755 ${dir}) or run the daemon as a user who can read it`,
        { cause: error },
      );
    default:
      return new PluginDirError('PLUGINS_DIR_UNREADABLE', dir, `plugins directory ${dir} cannot be read: ${detail}`, { cause: error });
  }
}
