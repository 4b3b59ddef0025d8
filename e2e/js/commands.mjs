// commands.mjs is the line protocol both JavaScript peers of lkrpc's Go
// end-to-end tests speak: the test writes one JSON command per line on
// stdin ({"id": 1, "fn": "call", "args": [...]}), the peer runs it and
// writes one answer line on stdout, "answer " followed by JSON
// ({"id": 1, "result": ...} or {"id": 1, "error": "..."}). The prefix keeps
// answers apart from whatever else reaches stdout (rtc-node's pino logger
// writes there). Answer 0 says the peer is ready.

import readline from 'node:readline';

export const ANSWER_PREFIX = 'answer ';

export function answer(msg) {
  process.stdout.write(ANSWER_PREFIX + JSON.stringify(msg) + '\n');
}

// runCommands answers 0 (ready), then runs every command line through
// run(fn, args) until stdin ends. Commands run concurrently (a test may
// serve and call at once); each answer carries its command's id.
export async function runCommands(run) {
  answer({ id: 0, result: 'ready' });
  const lines = readline.createInterface({ input: process.stdin });
  const running = [];
  for await (const line of lines) {
    if (!line.trim()) continue;
    const { id, fn, args } = JSON.parse(line);
    running.push(
      Promise.resolve()
        .then(() => run(fn, args || []))
        .then(
          (result) => answer({ id, result }),
          (err) => answer({ id, error: String(err && err.message ? err.message : err) }),
        ),
    );
  }
  await Promise.allSettled(running);
}
