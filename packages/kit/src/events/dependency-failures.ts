/**
 * Tells "a dependency is down" (database, Redis, broker unreachable) from "this event cannot be
 * handled". The first is retried for as long as it takes: parking events because MariaDB restarted
 * would turn an outage into a pile of dead letters to replay by hand.
 */
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
// Prisma: can't reach / timed out / closed the connection, pool exhausted, no transaction slot in time; MariaDB driver: pool or connect timeout.
const databaseCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'ER_GET_CONNECTION_TIMEOUT', 'ER_CONNECTION_TIMEOUT', 'ER_SOCKET_UNEXPECTED_CLOSE']);
const namePatterns = /^(MongoNetworkError|MongoServerSelectionError|MaxRetriesPerRequestError)$/;
// ioredis without an offline queue: "Stream isn't writeable…" while disconnected, "Command timed out" when Redis does not answer.
const messagePatterns = /(Connection is closed|connection refused|pool timeout|Can't reach database server|server has gone away|Too many connections|Stream isn't writeable|Command timed out)/i;

export function isDependencyUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (typeof current !== 'object') return false;
    const { code, name, message, cause } = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (networkCodes.has(code) || databaseCodes.has(code))) return true;
    if (typeof name === 'string' && namePatterns.test(name)) return true;
    if (typeof message === 'string' && messagePatterns.test(message)) return true;
    current = cause;
  }
  return false;
}
