/**
 * The idempotency key of a camt.053 statement line (`Camt053Entry.reference`, the deposit's
 * reference): taken from the bank's references in a fixed order, else from the line's place in
 * its statement. Pure: the same line of the same statement always gets the same key, so a
 * statement imported twice records each line once.
 *
 * The order, strongest first, from the definitions in ISO 20022's TransactionReferences
 * (TransactionReferences2 of camt.053.001.02 to TransactionReferences6 of .08 and later):
 * 1. `TxDtls/Refs/AcctSvcrRef`, as written: "unique reference, as assigned by the account
 *    servicing institution" — our bank's own reference for the booking.
 * 2. `Ntry/AcctSvcrRef` + `/` + the line's index in its entry (from 0): the same, for the
 *    entry; a batch's lines share it, so the index tells them apart. (1 before 2, as the reader
 *    always did: changing it would change keys already stored.)
 * 3. `Refs/Prtry` (`Tp` and `Ref` of each, in document order): a proprietary reference. In a
 *    statement `Refs` is written by the account servicer, and banks that give no AcctSvcrRef
 *    put their own booking or legal sequence number here: the same kind of reference as 1.
 *    ISO promises nothing of its uniqueness, hence its type is part of the key.
 * 4. `UETR` (.08 on): "universally unique identifier" of the payment, a UUIDv4.
 * 5. `TxId`: "unique identification, as assigned by the first instructing agent", passed on
 *    unchanged through the interbank chain; unique for that agent, not across agents.
 * 6. `ClrSysRef`: "unique reference, as assigned by a clearing system": unique in that system.
 * 7. `InstrId`: a point-to-point reference between one instructing and one instructed party:
 *    unique between those two only.
 * 8. `EndToEndId`, unless `NOTPROVIDED` (ISO's placeholder): assigned by the payer, passed on
 *    unchanged; payers reuse invoice numbers, so two payers may send the same one.
 * 9. `MsgId`: identifies the message that carried the transaction, not the transaction: every
 *    transaction of one message shares it.
 * 10. The statement: `Stmt/Id`, the account (IBAN or `Othr/Id`), `ElctrncSeqNb` and
 *    `LglSeqNb` as present, the entry's index in the statement and the line's in its entry.
 *    Not `GrpHdr/MsgId`: it names the delivery, not the statement, and a bank that sends the
 *    same statement again in a new message would otherwise have every such line credited
 *    twice. A key from the statement is only as stable as the statement: the same booking in
 *    another statement (another day's, a corrected one) gets another key.
 * `PmtInfId`, `MndtId` and `ChqNb` name a group, a mandate or a cheque shared by many
 * payments; `NtryRef` is often a line number within one statement: none of them is used.
 *
 * Forms, which cannot collide between sources:
 * - 1 and 2 are written as the reader always wrote them (`REF`, `REF/0`), so stored keys keep
 *   their meaning — unless that form would begin with a tag below followed by `:` or `#`; then
 *   it is `AcctSvcrRef:REF` or `AcctSvcrRef:REF/0`. (1 and 2 can still meet each other: a
 *   transaction's AcctSvcrRef `X/0` and an entry's `X` with index 0; as before.)
 * - 3 to 10 are `Tag:part/part/…`: the tag names the source (`Prtry`, `UETR`, `TxId`,
 *   `ClrSysRef`, `InstrId`, `EndToEndId`, `MsgId`, `Stmt`); in each part `%` is written `%25`
 *   and `/` `%2F`, so the parts can be told apart.
 * - A key over 140 characters (the deposits table's limit) is `Tag#` and the SHA-256 of the
 *   whole key in hex (`#`, not `:`: never equal to an unhashed key).
 */
import { createHash } from 'node:crypto';

/** Characters of a deposit reference: `deposits.reference`'s CHECK (migration 0005). */
export const referenceCharsMax = 140;

/** The tags of keys not written as the bank's AcctSvcrRef, in order of preference. */
export const referenceTags = [
  'AcctSvcrRef',
  'Prtry',
  'UETR',
  'TxId',
  'ClrSysRef',
  'InstrId',
  'EndToEndId',
  'MsgId',
  'Stmt',
] as const;
export type ReferenceTag = (typeof referenceTags)[number];

/** The references of one line, as read (trimmed; absent when empty or `NOTPROVIDED`). */
export interface LineReferences {
  /** `TxDtls/Refs/AcctSvcrRef`. */
  readonly transactionServicer?: string;
  /** `Ntry/AcctSvcrRef`. */
  readonly entryServicer?: string;
  /** `TxDtls/Refs/Prtry`, each `Tp` and `Ref`, in document order. */
  readonly proprietary: readonly { readonly type: string; readonly reference: string }[];
  readonly uetr?: string;
  readonly transactionId?: string;
  readonly clearingSystem?: string;
  readonly instructionId?: string;
  readonly endToEndId?: string;
  readonly messageId?: string;
}

/** Where a line is: its statement's identity and its place in it. */
export interface LinePlace {
  /** `Stmt/Id`. */
  readonly statementId: string;
  readonly iban?: string;
  readonly otherId?: string;
  readonly electronicSequence?: bigint;
  readonly legalSequence?: bigint;
  /** The entry's index among its statement's entries, from 0. */
  readonly entryIndex: number;
  /** The line's index among its entry's lines, from 0. */
  readonly lineIndex: number;
}

const reservedPattern = new RegExp(`^(?:${referenceTags.join('|')})[:#]`);

function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/** `Tag:part/part`, or `Tag#sha256` when that is over `referenceCharsMax`. */
function tagged(tag: ReferenceTag, parts: readonly string[]): string {
  const key = `${tag}:${parts.map(escapePart).join('/')}`;
  if (key.length <= referenceCharsMax) return key;
  return `${tag}#${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** An AcctSvcrRef as the reader always wrote it, unless that would read as a tagged key. */
function servicerKey(reference: string, lineIndex?: number): string {
  const plain = lineIndex === undefined ? reference : `${reference}/${lineIndex}`;
  if (!reservedPattern.test(plain)) return plain;
  return tagged(
    'AcctSvcrRef',
    lineIndex === undefined ? [reference] : [reference, String(lineIndex)],
  );
}

/** The first of the payment chain's references present, by the order above (4 to 9). */
function chainKey(refs: LineReferences): string | undefined {
  const chain: readonly [ReferenceTag, string | undefined][] = [
    ['UETR', refs.uetr],
    ['TxId', refs.transactionId],
    ['ClrSysRef', refs.clearingSystem],
    ['InstrId', refs.instructionId],
    ['EndToEndId', refs.endToEndId],
    ['MsgId', refs.messageId],
  ];
  for (const [tag, value] of chain) if (value !== undefined) return tagged(tag, [value]);
  return undefined;
}

/**
 * A line's idempotency key: from its first reference by the order above, else from its place
 * in the statement; at most `referenceCharsMax` characters.
 * @example lineReference({ proprietary: [{ type: 'LSN', reference: '2026-000417' }] }, place) === 'Prtry:LSN/2026-000417'
 */
export function lineReference(refs: LineReferences, place: LinePlace): string {
  if (refs.transactionServicer !== undefined) return servicerKey(refs.transactionServicer);
  if (refs.entryServicer !== undefined) return servicerKey(refs.entryServicer, place.lineIndex);
  if (refs.proprietary.length > 0)
    return tagged(
      'Prtry',
      refs.proprietary.flatMap((p) => [p.type, p.reference]),
    );
  return (
    chainKey(refs) ??
    tagged('Stmt', [
      place.statementId,
      place.iban ?? '',
      place.otherId ?? '',
      place.electronicSequence?.toString() ?? '',
      place.legalSequence?.toString() ?? '',
      String(place.entryIndex),
      String(place.lineIndex),
    ])
  );
}
