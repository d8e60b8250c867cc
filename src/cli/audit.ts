/**
 * `clearpeg audit verify`: recomputes the audit log's hash chain from its first entry and
 * names the first entry that was altered or deleted (exit 1), like `ledger verify`.
 */
import { verifyAudit } from '../workflow/audit-store.ts';
import {
  type Command,
  commandOptions,
  exitCode,
  printView,
  readOptions,
  withDatabase,
} from './io.ts';

export const auditVerify: Command = {
  name: 'audit verify',
  summary: "recompute the audit log's hash chain; exit 1 at the first broken entry",
  usage: 'clearpeg audit verify [--json]',
  async run(args, context) {
    const { values } = commandOptions(args, readOptions);
    const report = await withDatabase(context, verifyAudit);
    printView(context, values.json, report, [
      report.ok
        ? `ok: ${report.entries} entries; head ${report.head}`
        : `BROKEN at entry ${report.broken!.seq}: ${report.broken!.reason} (${report.entries} entries verified before it)`,
    ]);
    return report.ok ? exitCode.ok : exitCode.failed;
  },
};
