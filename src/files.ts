/**
 * Small file helpers shared by modules that keep their own files (journals, lock files, a
 * witness's state, a verifier's pins).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A file's text (UTF-8), or undefined if there is no such file.
 * @example const text = readTextIfExists('/data/chains/local.jsonl') ?? ''
 */
export function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes `text` to `directory/name` so that a crash leaves the old file or the new one: a
 * temporary file in the same directory, fsync, rename over `name`, fsync of the directory.
 * @example await writeFileAtomically('/var/lib/witness', 'ab…cd.json', '{…}\n')
 */
export async function writeFileAtomically(
  directory: string,
  name: string,
  text: string,
): Promise<void> {
  const target = join(directory, name);
  const temporary = join(
    directory,
    `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(temporary, 'wx', 0o600);
  try {
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
