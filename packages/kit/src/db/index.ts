export * from './migrate';
export * from './mongo-settings';
export * from './mysql-url';
export * from './prisma';
export * from './provision';
export * from './sql';
