import { defineEvent } from '../envelope';
import { pickSnapshotSchema } from './picks-shapes';

export const PickCreated = defineEvent({
  type: 'picks.pick.created',
  version: 1,
  producer: 'picks',
  description: "A store's owner added a pick to the store's catalog.",
  data: pickSnapshotSchema,
});
