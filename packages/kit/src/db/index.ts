export * from './migrate';
export * from './mysql-url';
export * from './prisma';
export * from './provision';
