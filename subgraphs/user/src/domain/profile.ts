import { z } from 'zod';

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'display name must not be empty')
  .max(80, 'display name is at most 80 characters')
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'display name must not contain control characters');

export const profilePatchSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    bio: z.string().trim().max(500, 'bio is at most 500 characters').nullable().optional(),
    avatarUrl: z
      .url({ protocol: /^https?$/, message: 'avatarUrl must be an http(s) URL' })
      .max(500, 'avatarUrl is at most 500 characters')
      .nullable()
      .optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to update: give displayName, bio or avatarUrl');

export type ProfilePatch = z.infer<typeof profilePatchSchema>;
