// Where the daemon's API socket is unless configured otherwise. A module of
// its own so the CLI can name it without loading the API server.
export const DEFAULT_SOCKET_PATH = '/run/snoozebot/snoozebot.sock';
