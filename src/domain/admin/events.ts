import type { Event } from '../shared/decider';

/**
 * An admin's actions are recorded in a stream of their own, so that "who rebuilt what, who exported what range"
 * is part of the log like any other change. The command line acts as the system admin (`SYSTEM_ADMIN_ID`).
 */
export const adminStream = (adminId: string): string => `admin-${adminId}`;

/** The actor of what the command-line tool does: no user, the operator of the database. */
export const SYSTEM_ADMIN_ID = '00000000-0000-7000-8000-000000000000';

export const ADMIN_ACTIONS = [
  'events.exported',
  'projection.rebuild_requested',
  'admin.granted',
  'admin.revoked',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** Flat details: filters, ranges, names. */
export type AdminActionDetails = Readonly<Record<string, string | number | boolean | null>>;

export type AdminActionRecorded = Event<
  'AdminActionRecorded',
  { adminId: string; action: AdminAction; details: AdminActionDetails }
>;

export type AdminEvent = AdminActionRecorded;

export const ADMIN_EVENT_TYPES = ['AdminActionRecorded'] as const satisfies readonly AdminEvent['type'][];
