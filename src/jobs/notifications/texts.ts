import type { IssuePriority, IssueStatus } from '../../domain/issue/events';

/** The one-line texts of notifications (in the app, and the lines of an email). */

const quoted = (title: string): string => `“${title}”`;

const STATUS_NAMES: Record<IssueStatus, string> = {
  open: 'open',
  in_progress: 'in progress',
  blocked: 'blocked',
  done: 'done',
};

export const statusName = (status: IssueStatus): string => STATUS_NAMES[status] ?? status;

export const texts = {
  assigned: (actor: string, title: string) => `${actor} assigned you ${quoted(title)}`,
  created: (actor: string, title: string) => `${actor} created ${quoted(title)} and assigned it to you`,
  unassigned: (actor: string, title: string) => `${actor} unassigned you from ${quoted(title)}`,
  status: (actor: string, title: string, from: IssueStatus, to: IssueStatus) =>
    `${actor} moved ${quoted(title)} from ${statusName(from)} to ${statusName(to)}`,
  dueDate: (actor: string, title: string, due: string | null) =>
    due === null
      ? `${actor} removed the due date of ${quoted(title)}`
      : `${actor} set the due date of ${quoted(title)} to ${due}`,
  title: (actor: string, from: string, to: string) => `${actor} renamed ${quoted(from)} to ${quoted(to)}`,
  priority: (actor: string, title: string, from: IssuePriority, to: IssuePriority) =>
    `${actor} changed the priority of ${quoted(title)} from ${from} to ${to}`,
  deleted: (actor: string, title: string) => `${actor} deleted ${quoted(title)}`,
  restored: (actor: string, title: string) => `${actor} restored ${quoted(title)}`,
  overdue: (title: string, due: string) => `${quoted(title)} was due on ${due} and is not done yet`,
};

/** How a notification names who made the change when the user is unknown (the system itself). */
export const SOMEONE = 'Someone';
