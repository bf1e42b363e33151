import { readFileSync } from 'node:fs';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { createConnection } from 'mariadb';
import { parseMysqlUrl } from '@x/kit';

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isRequired: boolean;
  isList: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  hasDefaultValue: boolean;
  default?: { name: string; args: unknown[] } | string | number | boolean;
  isUpdatedAt: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}

export interface Dmmf {
  datamodel: { models: DmmfModel[]; indexes: DmmfIndex[] };
}

export function readDmmf(schemaFile: string): Dmmf {
  return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: readFileSync(schemaFile, 'utf8') }))) as Dmmf;
}

const defaultColumnTypes: Record<string, string> = {
  String: 'varchar(191)',
  Int: 'int',
  BigInt: 'bigint',
  Boolean: 'tinyint(1)',
  DateTime: 'datetime(3)',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  Json: 'longtext',
};

function expectedColumnType(field: DmmfField): string {
  if (!field.nativeType) return defaultColumnTypes[field.type] ?? field.type.toLowerCase();
  const [name, args] = field.nativeType;
  const base = name.toLowerCase().replace(/^unsigned(.*)$/, '$1 unsigned');
  return args.length ? `${base}(${args.join(',')})` : base;
}

// MariaDB reports display widths (int(11)) that carry no meaning for the schema.
const normaliseColumnType = (type: string) => type.toLowerCase().replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)(?!.*\(1\))/, '$1').replace(/^tinyint$/, 'tinyint(1)');

interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  IS_NULLABLE: 'YES' | 'NO';
  COLUMN_TYPE: string;
  COLUMN_DEFAULT: string | null;
  EXTRA: string;
}

interface IndexRow {
  TABLE_NAME: string;
  INDEX_NAME: string;
  NON_UNIQUE: number | bigint;
  COLUMN_NAME: string;
}

interface ForeignKeyRow {
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  COLUMN_NAME: string;
  REFERENCED_TABLE_NAME: string;
  REFERENCED_COLUMN_NAME: string;
}

/**
 * Every difference between a Prisma schema and a live database: tables, columns (type, nullability,
 * defaults), primary keys, unique and plain indexes, foreign keys. Empty means the migrations
 * produce exactly what the Prisma client believes it talks to.
 */
export async function schemaDifferences(schemaFile: string, databaseUrl: string): Promise<string[]> {
  const { datamodel } = readDmmf(schemaFile);
  const options = parseMysqlUrl(databaseUrl);
  const connection = await createConnection(options);
  try {
    const columns = await connection.query<ColumnRow[]>(
      'SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_TYPE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY ORDINAL_POSITION',
      [options.database],
    );
    const indexRows = await connection.query<IndexRow[]>(
      'SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
      [options.database],
    );
    const foreignKeys = await connection.query<ForeignKeyRow[]>(
      'SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION',
      [options.database],
    );
    const differences: string[] = [];
    const tableOf = new Map(datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
    const columnOf = (model: DmmfModel, fieldName: string) => {
      const field = model.fields.find((f) => f.name === fieldName);
      return field?.dbName ?? fieldName;
    };
    const liveTables = new Set(columns.map((c) => c.TABLE_NAME).filter((t) => t !== '_prisma_migrations'));

    for (const model of datamodel.models) {
      const table = tableOf.get(model.name)!;
      liveTables.delete(table);
      const live = new Map(columns.filter((c) => c.TABLE_NAME === table).map((c) => [c.COLUMN_NAME, c]));
      if (live.size === 0) {
        differences.push(`table ${table} (model ${model.name}) is missing`);
        continue;
      }
      for (const field of model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum')) {
        const name = field.dbName ?? field.name;
        const column = live.get(name);
        live.delete(name);
        if (!column) {
          differences.push(`${table}.${name} is missing`);
          continue;
        }
        if ((column.IS_NULLABLE === 'YES') !== !field.isRequired) {
          differences.push(`${table}.${name}: nullable in database is ${column.IS_NULLABLE}, schema says ${field.isRequired ? 'required' : 'optional'}`);
        }
        const expected = normaliseColumnType(expectedColumnType(field));
        const actual = normaliseColumnType(column.COLUMN_TYPE);
        if (expected !== actual) differences.push(`${table}.${name}: type ${actual} in database, ${expected} in schema`);
        const defaultName = typeof field.default === 'object' && field.default !== null ? field.default.name : undefined;
        if (defaultName === 'autoincrement' && !column.EXTRA.includes('auto_increment')) differences.push(`${table}.${name}: not auto_increment`);
        if (defaultName === 'now' && !/current_timestamp/i.test(column.COLUMN_DEFAULT ?? '')) differences.push(`${table}.${name}: no CURRENT_TIMESTAMP default`);
        if (!field.hasDefaultValue && !field.isUpdatedAt && column.COLUMN_DEFAULT !== null && column.COLUMN_DEFAULT !== 'NULL') {
          differences.push(`${table}.${name}: database has default ${column.COLUMN_DEFAULT}, schema has none`);
        }
      }
      for (const extra of live.keys()) differences.push(`${table}.${extra} exists in the database but not in the schema`);
    }
    for (const table of liveTables) differences.push(`table ${table} exists in the database but not in the schema`);

    const liveIndexes = new Map<string, { unique: boolean; columns: string[] }>();
    for (const row of indexRows) {
      const key = `${row.TABLE_NAME}.${row.INDEX_NAME}`;
      const entry = liveIndexes.get(key) ?? { unique: Number(row.NON_UNIQUE) === 0, columns: [] };
      entry.columns.push(row.COLUMN_NAME);
      liveIndexes.set(key, entry);
    }
    const foreignKeyNames = new Set(foreignKeys.map((fk) => `${fk.TABLE_NAME}.${fk.CONSTRAINT_NAME}`));
    for (const index of datamodel.indexes) {
      const model = datamodel.models.find((m) => m.name === index.model)!;
      const table = tableOf.get(model.name)!;
      const expectedColumns = index.fields.map((f) => columnOf(model, f.name));
      const name = index.type === 'id' ? 'PRIMARY' : (index.dbName ?? `${table}_${expectedColumns.join('_')}_${index.type === 'unique' ? 'key' : 'idx'}`);
      const live = liveIndexes.get(`${table}.${name}`);
      liveIndexes.delete(`${table}.${name}`);
      if (!live) {
        differences.push(`${index.type} index ${table}.${name} (${expectedColumns.join(', ')}) is missing`);
        continue;
      }
      if (live.columns.join(',') !== expectedColumns.join(',')) differences.push(`index ${table}.${name} covers (${live.columns.join(', ')}), schema says (${expectedColumns.join(', ')})`);
      if (live.unique !== (index.type !== 'normal')) differences.push(`index ${table}.${name}: unique is ${live.unique} in the database`);
    }
    for (const [key] of liveIndexes) {
      if (!key.startsWith('_prisma_migrations.') && !foreignKeyNames.has(key)) differences.push(`index ${key} exists in the database but not in the schema`);
    }

    for (const model of datamodel.models) {
      for (const relation of model.fields.filter((f) => f.kind === 'object' && f.relationFromFields?.length)) {
        const table = tableOf.get(model.name)!;
        const referenced = tableOf.get(relation.type)!;
        const fromColumns = relation.relationFromFields!.map((f) => columnOf(model, f));
        const match = foreignKeys.filter((fk) => fk.TABLE_NAME === table && fk.REFERENCED_TABLE_NAME === referenced);
        if (!fromColumns.every((column) => match.some((fk) => fk.COLUMN_NAME === column))) {
          differences.push(`foreign key ${table}(${fromColumns.join(', ')}) → ${referenced} is missing`);
        }
      }
    }
    return differences;
  } finally {
    await connection.end();
  }
}
