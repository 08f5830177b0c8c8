// How the CLI turns failures into messages and exit codes, and finds the socket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiProtocolError, ApiRequestError, DaemonUnreachableError } from '../../src/cli/api-client.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { isYes } from '../../src/cli/prompt.js';
import { defaultSocket, reportError, UsageError } from '../../src/cli/run.js';

function report(error: unknown): { code: number; text: string } {
  let text = '';
  const code = reportError(error, (t) => (text += t));
  return { code, text };
}

test('daemon unreachable: exit 3, the hint and the reason', () => {
  const { code, text } = report(new DaemonUnreachableError('/run/x.sock', 'EACCES'));
  assert.equal(code, EXIT.unreachable);
  assert.ok(
    text.startsWith(
      'error: cannot reach the snoozebot daemon at /run/x.sock (is it running? start it with `snoozebot daemon` or `systemctl start snoozebot`; or pass --socket / set SNOOZEBOT_SOCKET)\n',
    ),
    text,
  );
  assert.match(text, /permission denied.*\(EACCES\)/);
});

test('API errors: exit 1 with "error: <message>" and the details', () => {
  const { code, text } = report(new ApiRequestError(502, 'PLUGIN_CALL_FAILED', 'StopInstance failed', { grpcCode: 'INTERNAL' }));
  assert.equal(code, EXIT.failed);
  assert.equal(text, 'error: StopInstance failed\n  grpcCode: INTERNAL\n');
  assert.equal(report(new ApiProtocolError('no answer within 15 s')).code, EXIT.failed);
  assert.equal(report('weird').text, 'error: weird\n');
});

test('usage errors: exit 2', () => {
  const { code, text } = report(new UsageError('pass --yes'));
  assert.equal(code, EXIT.usage);
  assert.equal(text, 'error: pass --yes\n');
});

test('the socket: SNOOZEBOT_SOCKET, else the default', () => {
  assert.equal(defaultSocket({}), '/run/snoozebot/snoozebot.sock');
  assert.equal(defaultSocket({ SNOOZEBOT_SOCKET: '' }), '/run/snoozebot/snoozebot.sock');
  assert.equal(defaultSocket({ SNOOZEBOT_SOCKET: '/tmp/s.sock' }), '/tmp/s.sock');
});

test('only y or yes confirms', () => {
  for (const yes of ['y', 'Y', 'yes', ' YES ']) assert.equal(isYes(yes), true, yes);
  for (const no of ['', 'n', 'no', 'yep', 'sure', 'y y']) assert.equal(isYes(no), false, no);
});
