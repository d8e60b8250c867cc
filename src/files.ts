/** Small file helpers shared by modules that keep their own files (journals, lock files). */
import { readFileSync } from 'node:fs';

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
