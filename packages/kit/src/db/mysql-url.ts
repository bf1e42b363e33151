export interface MysqlConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** `mysql://user:pass@host:port/db` → driver options (the password may hold URL-encoded characters). */
export function parseMysqlUrl(url: string): MysqlConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

export function mysqlUrl(options: MysqlConnectionOptions): string {
  const auth = options.password
    ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}`
    : encodeURIComponent(options.user);
  return `mysql://${auth}@${options.host}:${options.port}/${encodeURIComponent(options.database)}`;
}

export function withDatabase(url: string, database: string): string {
  return mysqlUrl({ ...parseMysqlUrl(url), database });
}

/** Database and user names are interpolated into DDL, so they are held to a strict alphabet. */
export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`unsafe SQL identifier: ${JSON.stringify(name)}`);
  return name;
}
