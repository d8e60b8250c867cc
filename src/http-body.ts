/**
 * Reading an HTTP response from a server Clearpeg does not trust (a witness, a log being
 * verified): the body in full, or an error once it passes a bound, so that a hostile server
 * cannot make the reader hold more than the bound in memory.
 */

/**
 * The body of `response`, refusing more than `max` bytes: the error reads
 * `<what> more than <max> bytes` (the rest of the body is cancelled, not read).
 * @example const bytes = await boundedBody(response, 1 << 20, `${url}:`)
 */
export async function boundedBody(
  response: Response,
  max: number,
  what: string,
): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > max) {
      await reader.cancel();
      throw new Error(`${what} more than ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
