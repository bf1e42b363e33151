import { z } from 'zod';
import { defineEvent } from '../envelope';
import { pickSnapshotSchema } from './picks-shapes';

export const PickUpdated = defineEvent({
  type: 'picks.pick.updated',
  version: 1,
  producer: 'picks',
  description: "A pick's details or stock changed (by its store's owner); carries the whole snapshot, and `changed` names the fields.",
  data: pickSnapshotSchema.extend({ changed: z.array(z.string().min(1)).min(1) }),
});
