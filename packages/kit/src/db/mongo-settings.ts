import { z } from 'zod';

/** MongoDB's configuration, apart from the driver: every process reads it, only contact-infos loads mongoose. */
export const defaultMongoUrl = 'mongodb://127.0.0.1:27017';

/** `mongodb://` or `mongodb+srv://`; several hosts (`a:1,b:2`) are not a WHATWG URL, so no z.url(). */
export const mongoUrlSetting = () =>
  z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// connection string')
    .default(defaultMongoUrl);

export const mongoDatabaseSetting = (database: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a MongoDB database name (letters, digits, _ and -)')
    .default(database);

/** The connection string without its password, for messages and logs. */
export function redactMongoUrl(url: string): string {
  // Up to the last @ of the authority: a password with an unescaped @ is still hidden whole.
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:@/]+):[^/]*@/, '$1:***@');
}
