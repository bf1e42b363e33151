import { existsSync } from 'node:fs';
import path from 'node:path';
import { services, type ServiceDefinition } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { mariadbAdapter } from '@x/kit';
import { readDmmf, schemaDifferences } from './support/schema-drift';

const root = path.resolve(__dirname, '..');
// Every MySQL service with a Prisma schema, live or still being built: drift is caught from day one.
const mysqlServices = (services as readonly ServiceDefinition[]).filter((service) => service.backing.includes('mysql') && existsSync(path.join(root, 'prisma', service.name, 'schema.prisma')));

interface ModelDelegate {
  findMany(args: { take: number; select: Record<string, true> }): Promise<unknown[]>;
}

describe.each(mysqlServices.map((service) => [service.name]))('%s migrations', (name) => {
  const schemaFile = path.join(root, 'prisma', name, 'schema.prisma');

  it('produce exactly the tables, columns, keys and indexes of schema.prisma', async () => {
    const database = await createTestDatabase(`drift_${name}`, path.join(root, 'prisma', name, 'migrations'));
    try {
      expect(await schemaDifferences(schemaFile, database.url)).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it('let the generated client read every field of every model', async () => {
    const database = await createTestDatabase(`client_${name}`, path.join(root, 'prisma', name, 'migrations'));
    const { PrismaClient } = (await import(path.join(root, 'subgraphs', name, 'src', 'store', 'generated', 'client'))) as {
      PrismaClient: new (options: { adapter: ReturnType<typeof mariadbAdapter> }) => Record<string, ModelDelegate> & { $disconnect(): Promise<void> };
    };
    const client = new PrismaClient({ adapter: mariadbAdapter(database.url, 2) });
    try {
      for (const model of readDmmf(schemaFile).datamodel.models) {
        const delegate = client[model.name.charAt(0).toLowerCase() + model.name.slice(1)]!;
        const select = Object.fromEntries(model.fields.filter((f) => f.kind === 'scalar').map((f) => [f.name, true] as const));
        await expect(delegate.findMany({ take: 1, select })).resolves.toEqual([]);
      }
    } finally {
      await client.$disconnect();
      await database.drop();
    }
  });
});
