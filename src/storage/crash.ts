/**
 * The crash tests' harness: run a writer script in a child process, note every id it says it
 * sent (`send <id>`) and every id whose commit it saw resolve (`ack <id>`), and SIGKILL it
 * after a number of acknowledgements. The caller then reopens the store and compares.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inheritedV8Flags } from '../testing.ts';

/**
 * Runs `script` (TypeScript, with `dataDir` as its argument) until `killAfterAcks` acks.
 * @example await writeUntilKilled(new URL('./w.ts', import.meta.url), dir, 300, sent, acked, Number)
 */
export async function writeUntilKilled<Id>(
  script: URL,
  dataDir: string,
  killAfterAcks: number,
  sent: Set<Id>,
  acked: Set<Id>,
  parse: (text: string) => Id,
): Promise<void> {
  const child = spawn(
    process.execPath,
    [...inheritedV8Flags(), '--import', 'tsx', fileURLToPath(script), dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  let acks = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, id] = line.split(' ');
    if (kind === 'send') sent.add(parse(id!));
    if (kind === 'ack') {
      acked.add(parse(id!));
      if (++acks === killAfterAcks) child.kill('SIGKILL');
    }
  }
  assert.equal(await exited, 'SIGKILL', 'the writer ran until it was killed');
}
