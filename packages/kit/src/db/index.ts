export * from './migrate';
export * from './mongo';
export * from './mysql-url';
export * from './prisma';
export * from './provision';
export * from './sql';
