import type { Command } from '../shared/decider';
import type { AdminAction } from './events';

/** Whether the actor is an admin is the caller's check (credentials are not event-sourced). */
export type RecordAdminAction = Command<
  'RecordAdminAction',
  { adminId: string; action: AdminAction; details: Readonly<Record<string, unknown>> }
>;

export type AdminCommand = RecordAdminAction;
