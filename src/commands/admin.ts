import type { AdminAction } from '../domain/admin/events';
import { type AdminEvent, adminStream } from '../domain/admin/events';
import { adminDecider } from '../domain/admin/decider';
import type { AggregateRunner, CommandContext, CommandResult } from './aggregate-runner';

export interface AdminActionInput {
  /** The admin who acted (`SYSTEM_ADMIN_ID` for the command line). */
  adminId: string;
  action: AdminAction;
  details: Readonly<Record<string, unknown>>;
}

/**
 * Records an admin's action in their own stream. Whether the actor may act as an admin is the caller's check
 * (the API's `requireAdmin`, the command line's access to the database), made before this runs.
 */
export const recordAdminAction = (
  runner: AggregateRunner,
  input: AdminActionInput,
  context: Omit<CommandContext, 'actorId' | 'expectedRevision'> & { actorId?: string },
): Promise<CommandResult<AdminEvent>> =>
  runner.run(
    adminDecider,
    adminStream(input.adminId),
    { ...context, actorId: context.actorId ?? input.adminId },
    (_, metadata) => ({
      type: 'RecordAdminAction',
      data: { adminId: input.adminId, action: input.action, details: input.details },
      metadata,
    }),
  );
