import { z } from 'zod';
import type { Role } from '@x/kit';

/** Roles a person may pick when registering; hq_admin is only ever granted by an hq_admin. */
export const selfServiceRoles = ['customer', 'store_owner', 'courier'] as const satisfies readonly Role[];

export const emailSchema = z
  .string()
  .trim()
  .max(254, 'email is at most 254 characters')
  .pipe(z.email('email must be a valid e-mail address'))
  .transform((email) => email.toLowerCase());

/**
 * NIST SP 800-63B: length over composition rules, a cap that bounds hashing cost, and a refusal of
 * passwords that are trivially guessable.
 */
export const passwordSchema = z
  .string()
  .min(10, 'password must be at least 10 characters')
  .max(128, 'password is at most 128 characters')
  .refine((password) => new Set(password).size >= 4, 'password is too repetitive')
  .refine((password) => !commonPasswords.has(password.toLowerCase()), 'password is too common');

export const registrationSchema = z
  .object({
    email: emailSchema,
    password: passwordSchema,
    role: z.enum(selfServiceRoles, { message: `role must be one of ${selfServiceRoles.join(', ')}` }).default('customer'),
    displayName: z.string().trim().min(1, 'displayName must not be empty').max(80, 'displayName is at most 80 characters').optional(),
  })
  .strict();

export type Registration = z.infer<typeof registrationSchema>;

export const loginSchema = z.object({ email: emailSchema, password: z.string().min(1, 'password is required').max(128) }).strict();
export const refreshSchema = z.object({ refreshToken: z.string().min(20, 'refreshToken is required').max(200) }).strict();

/** The name a profile starts with when the person gave none: the local part of their e-mail. */
export function defaultDisplayName(email: string): string {
  return email.split('@')[0]!.slice(0, 80);
}

const commonPasswords = new Set([
  'password123', 'password1234', '1234567890', 'qwertyuiop', '1q2w3e4r5t', 'iloveyou123', 'qwerty1234',
  'administrator', 'letmein123', 'welcome123', 'passw0rd123', '0123456789', 'abcdefghij', 'changeme123',
]);
