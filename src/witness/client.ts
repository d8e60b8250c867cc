/**
 * What a log uses to ask a witness for a cosignature (c2sp.org/tlog-witness, add-checkpoint):
 * `requestCosignature` posts the old size, the consistency proof and the signed checkpoint,
 * and answers the cosignature lines, or why there are none.
 *
 * A 409 with `Content-Type: text/x.tlog.size` says which size the witness last cosigned: the
 * caller makes a consistency proof from that size and asks again (`latestSize`). A 409 without
 * it is a fork at the same size: the witness holds another root for it and will never cosign
 * this checkpoint. With `witnessKey`, only the lines by that key whose cosignature verifies on
 * the checkpoint are returned (lines by other keys are ignored, as the spec asks), and an
 * answer with none of them is a failure.
 */
import { boundedBody } from '../http-body.ts';
import { parseCheckpoint } from '../proofs/checkpoint.ts';
import { verifyCosignature } from '../proofs/cosignature.ts';
import { parseNote, parseSignatureLine } from '../proofs/note.ts';
import {
  type AddCheckpointRequest,
  formatAddCheckpointRequest,
  sizeContentType,
} from './witness.ts';

/** How long a request may take, by default. */
export const requestTimeoutMsDefault = 10_000;
/** The largest answer read (a few cosignature lines; a 409's size). */
export const maxResponseBytes = 64 * 1024;

/** What to send: the old size, the proof from it, the checkpoint's signed note. */
export interface CosignatureRequest {
  readonly oldSize: bigint;
  readonly proof: readonly Uint8Array[];
  readonly checkpointNote: string;
}

/** Options of `requestCosignature`. */
export interface CosignatureOptions {
  /** Give up after this long (default `requestTimeoutMsDefault`). */
  readonly timeoutMs?: number;
  /** The witness's verifier key: keep only its lines, and only if they verify. */
  readonly witnessKey?: string;
}

/** What the witness answered. */
export type CosignatureResult =
  | { readonly ok: true; readonly lines: string[] }
  | {
      readonly ok: false;
      /** The HTTP status, or 0 when there was no answer (network, timeout). */
      readonly status: number;
      /** On a 409 with the witness's size: the size to prove consistency from, and retry. */
      readonly latestSize?: bigint;
      readonly message: string;
    };

/**
 * Asks the witness at `url` (its submission prefix; `/add-checkpoint` is appended) to
 * cosign a checkpoint. Never throws for what the network or the witness does: the result says.
 * @example const r = await requestCosignature('https://witness.example/', { oldSize: 0n, proof: [], checkpointNote: note }); if (!r.ok && r.latestSize !== undefined) retryFrom(r.latestSize)
 */
export async function requestCosignature(
  url: string,
  request: CosignatureRequest,
  fetchImpl: typeof fetch = fetch,
  options: CosignatureOptions = {},
): Promise<CosignatureResult> {
  const body = formatAddCheckpointRequest(request as AddCheckpointRequest);
  const endpoint = `${url.replace(/\/+$/, '')}/add-checkpoint`;
  const timeoutMs = options.timeoutMs ?? requestTimeoutMsDefault;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body,
      signal,
    });
    text = new TextDecoder().decode(await boundedBody(response, maxResponseBytes, 'answer is'));
  } catch (error) {
    const name = (error as Error).name;
    const message =
      name === 'TimeoutError' || name === 'AbortError'
        ? `witness ${endpoint} did not answer within ${timeoutMs} ms`
        : `witness ${endpoint} unreachable: ${(error as Error).message}`;
    return { ok: false, status: 0, message };
  }
  const status = response.status;
  if (status === 200) return cosignatureLines(request.checkpointNote, text, options.witnessKey);
  if (status === 409) {
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (mediaType.toLowerCase() === sizeContentType) {
      const size = /^(0|[1-9][0-9]*)\n$/.exec(text);
      if (size === null)
        return {
          ok: false,
          status,
          message: `witness answered 409 with a malformed size ${JSON.stringify(text.slice(0, 40))}`,
        };
      return {
        ok: false,
        status,
        latestSize: BigInt(size[1]!),
        message: `the witness last cosigned size ${size[1]}, not ${request.oldSize}: retry with a proof from ${size[1]}`,
      };
    }
    return { ok: false, status, message: `the witness refuses a fork: ${firstLine(text)}` };
  }
  return { ok: false, status, message: `witness answered ${status}: ${firstLine(text)}` };
}

/** The cosignature lines of a 200 answer (by `witnessKey` and verified, if given). */
function cosignatureLines(
  checkpointNote: string,
  text: string,
  witnessKey: string | undefined,
): CosignatureResult {
  const bad = (message: string): CosignatureResult => ({ ok: false, status: 200, message });
  if (text === '' || !text.endsWith('\n'))
    return bad('witness answer is not newline-terminated lines');
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) {
    try {
      parseSignatureLine(line);
    } catch (error) {
      return bad(`witness answer has a line that is not a signature: ${(error as Error).message}`);
    }
  }
  if (witnessKey === undefined) return { ok: true, lines };
  const checkpointText = parseNote(checkpointNote).text;
  parseCheckpoint(checkpointText);
  const verified: string[] = [];
  const problems: string[] = [];
  for (const line of lines) {
    try {
      verifyCosignature(checkpointText, line, witnessKey);
      verified.push(line);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (verified.length === 0)
    return bad(`no cosignature by ${witnessKey} verifies: ${problems.join('; ')}`);
  return { ok: true, lines: verified };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
