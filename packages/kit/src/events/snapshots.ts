import { assertIdentifier } from '../db/mysql-url';
import { executeSql, querySql, type SqlExecutor } from './sql';

/** Which snapshot of another service's entity a projection row reflects. */
export interface SnapshotVersion {
  /** The owner's change counter, when its event carried one. */
  revision: number | null;
  /** The event's time. */
  at: Date;
}

/**
 * Whether an incoming snapshot replaces the one a projection holds. Retries reorder events, so a
 * late, older snapshot must not win: revisions decide when both sides have one, event times
 * otherwise (an equal time applies, so a redelivery of the same snapshot is harmless).
 */
export function supersedes(incoming: SnapshotVersion, held: SnapshotVersion): boolean {
  if (incoming.revision !== null && held.revision !== null) return incoming.revision > held.revision;
  return incoming.at.getTime() >= held.at.getTime();
}

/** A projection row of another service's entity: its table, key columns and the columns a snapshot sets. */
export interface SnapshotRow {
  table: string;
  key: Record<string, string>;
  /** Column → value; the row also keeps `revision` and `snapshot_at`. */
  values: Record<string, unknown>;
}

/**
 * Writes a snapshot into a projection, in the consumer's transaction: inserts the row when it is new,
 * else locks it and overwrites it only when the snapshot supersedes the one it holds. Returns whether
 * it changed the row. A late or replayed event therefore never rolls the projection back.
 */
export async function applySnapshot(tx: SqlExecutor, row: SnapshotRow, version: SnapshotVersion): Promise<boolean> {
  const table = assertIdentifier(row.table);
  const keyColumns = Object.keys(row.key).map(assertIdentifier);
  const valueColumns = Object.keys(row.values).map(assertIdentifier);
  const columns = [...keyColumns, ...valueColumns, 'revision', 'snapshot_at'];
  const inserted = await executeSql(
    tx,
    `INSERT IGNORE INTO \`${table}\` (${columns.map((column) => `\`${column}\``).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    ...Object.values(row.key),
    ...Object.values(row.values),
    version.revision,
    version.at,
  );
  if (inserted === 1) return true;
  const where = keyColumns.map((column) => `\`${column}\` = ?`).join(' AND ');
  const [held] = await querySql<{ revision: number | null; snapshotAt: Date | string }>(
    tx,
    `SELECT revision, snapshot_at AS snapshotAt FROM \`${table}\` WHERE ${where} FOR UPDATE`,
    ...Object.values(row.key),
  );
  if (!held) throw new Error(`${table} row ${JSON.stringify(row.key)} vanished from the projection`);
  if (!supersedes(version, { revision: held.revision === null ? null : Number(held.revision), at: new Date(held.snapshotAt) })) return false;
  await executeSql(
    tx,
    `UPDATE \`${table}\` SET ${[...valueColumns, 'revision', 'snapshot_at'].map((column) => `\`${column}\` = ?`).join(', ')} WHERE ${where}`,
    ...Object.values(row.values),
    version.revision,
    version.at,
    ...Object.values(row.key),
  );
  return true;
}
