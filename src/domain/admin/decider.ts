import type { Decider } from '../shared/decider';
import { ValidationError } from '../shared/errors';
import { isOneOf } from '../shared/validation';
import type { AdminCommand } from './commands';
import { ADMIN_ACTIONS, type AdminActionDetails, type AdminEvent } from './events';

/** An admin's stream only accumulates records: nothing it holds constrains the next one. */
export interface AdminLog {
  actions: number;
}

export const DETAIL_KEYS_MAX = 20;
export const DETAIL_TEXT_MAX = 1000;

export const initialState = (): AdminLog => ({ actions: 0 });

export const evolve = (state: AdminLog, event: AdminEvent): AdminLog => {
  switch (event.type) {
    case 'AdminActionRecorded':
      return { actions: state.actions + 1 };
    default: {
      const unknown: never = event.type;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

const isDetail = (value: unknown): value is string | number | boolean | null =>
  value === null ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value)) ||
  (typeof value === 'string' && value.length <= DETAIL_TEXT_MAX);

/** Details are few, flat and short: they describe an action, they are not a payload. */
const checkedDetails = (details: Readonly<Record<string, unknown>>): AdminActionDetails => {
  const entries = Object.entries(details).filter(([, value]) => value !== undefined);
  if (entries.length > DETAIL_KEYS_MAX)
    throw ValidationError.field('details', `at most ${DETAIL_KEYS_MAX} entries`);
  for (const [key, value] of entries)
    if (!isDetail(value))
      throw ValidationError.field(
        'details',
        `${key}: a string (≤ ${DETAIL_TEXT_MAX}), number, boolean or null`,
      );
  return Object.fromEntries(entries) as AdminActionDetails;
};

export const decide = (command: AdminCommand, _state: AdminLog): AdminEvent[] => {
  switch (command.type) {
    case 'RecordAdminAction': {
      const { adminId, action, details } = command.data;
      if (!isOneOf(action, ADMIN_ACTIONS))
        throw ValidationError.field('action', `one of ${ADMIN_ACTIONS.join(', ')}`);
      return [{ type: 'AdminActionRecorded', data: { adminId, action, details: checkedDetails(details) } }];
    }
    default: {
      const unknown: never = command.type;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
};

export const adminDecider: Decider<AdminCommand, AdminEvent, AdminLog> = { decide, evolve, initialState };
