import type { IssuePriority, IssueStatus } from '../../domain/issue/events';

/** The one-line texts of notifications (in the app, and the lines of an email). */

/** How a text names an issue: its key and its title (`WEB-12 “Fix login”`); just the title while it has no key. */
export interface IssueName {
  key: string | null;
  title: string;
}

const quoted = (title: string): string => `“${title}”`;
const named = ({ key, title }: IssueName): string => (key ? `${key} ${quoted(title)}` : quoted(title));

const STATUS_NAMES: Record<IssueStatus, string> = {
  open: 'open',
  in_progress: 'in progress',
  blocked: 'blocked',
  done: 'done',
};

export const statusName = (status: IssueStatus): string => STATUS_NAMES[status] ?? status;

export const texts = {
  assigned: (actor: string, issue: IssueName) => `${actor} assigned you ${named(issue)}`,
  created: (actor: string, issue: IssueName) => `${actor} created ${named(issue)} and assigned it to you`,
  unassigned: (actor: string, issue: IssueName) => `${actor} unassigned you from ${named(issue)}`,
  status: (actor: string, issue: IssueName, from: IssueStatus, to: IssueStatus) =>
    `${actor} moved ${named(issue)} from ${statusName(from)} to ${statusName(to)}`,
  dueDate: (actor: string, issue: IssueName, due: string | null) =>
    due === null
      ? `${actor} removed the due date of ${named(issue)}`
      : `${actor} set the due date of ${named(issue)} to ${due}`,
  title: (actor: string, from: IssueName, to: string) => `${actor} renamed ${named(from)} to ${quoted(to)}`,
  priority: (actor: string, issue: IssueName, from: IssuePriority, to: IssuePriority) =>
    `${actor} changed the priority of ${named(issue)} from ${from} to ${to}`,
  deleted: (actor: string, issue: IssueName) => `${actor} deleted ${named(issue)}`,
  restored: (actor: string, issue: IssueName) => `${actor} restored ${named(issue)}`,
  overdue: (issue: IssueName, due: string) => `${named(issue)} was due on ${due} and is not done yet`,
  commented: (actor: string, issue: IssueName) => `${actor} commented on ${named(issue)}`,
  mentioned: (actor: string, issue: IssueName) => `${actor} mentioned you in a comment on ${named(issue)}`,
};

/** How a notification names who made the change when the user is unknown (the system itself). */
export const SOMEONE = 'Someone';
