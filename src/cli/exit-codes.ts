// The CLI's exit codes (docs/architecture.md): scripts rely on them.
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
} as const;
