import type { Role } from '../../../src/domain/shared/decider';
import type { CreateIssue, IssueCommand, IssueContext } from '../../../src/domain/issue/commands';
import { issueDecider } from '../../../src/domain/issue/decider';
import type {
  IssueAssigned,
  IssueCreated,
  IssueDeleted,
  IssueDescriptionChanged,
  IssueDueDateChanged,
  IssueLabelsChanged,
  IssuePriority,
  IssuePriorityChanged,
  IssueStatus,
  IssueStatusChanged,
  IssueTitleChanged,
  IssueUnassigned,
} from '../../../src/domain/issue/events';
import type { CommandMetadata } from '../../../src/domain/shared/decider';
import { by, ISSUE, MANAGER, MEMBER, ORG, OTHER_MEMBER, OWNER, PROJECT } from './ids';
import { specFor } from './spec';

export const { given } = specFor(issueDecider);

const ref = { issueId: ISSUE, projectId: PROJECT, organizationId: ORG };

/** An open, medium, unassigned issue created by MEMBER, unless overridden. */
export const issueCreated = (overrides: Partial<IssueCreated['data']> = {}): IssueCreated => ({
  type: 'IssueCreated',
  data: {
    ...ref,
    title: 'Fix the launch pad',
    description: '',
    status: 'open',
    priority: 'medium',
    dueDate: null,
    assigneeId: null,
    createdBy: MEMBER,
    labelIds: [],
    ...overrides,
  },
});
/** One field changed from its previous value: `changed.title('New', 'Old')`. */
export const changed = {
  title: (title: string, previousTitle: string): IssueTitleChanged => ({
    type: 'IssueTitleChanged',
    data: { ...ref, title, previousTitle },
  }),
  description: (description: string, previousDescription: string): IssueDescriptionChanged => ({
    type: 'IssueDescriptionChanged',
    data: { ...ref, description, previousDescription },
  }),
  status: (status: IssueStatus, previousStatus: IssueStatus): IssueStatusChanged => ({
    type: 'IssueStatusChanged',
    data: { ...ref, status, previousStatus },
  }),
  priority: (priority: IssuePriority, previousPriority: IssuePriority): IssuePriorityChanged => ({
    type: 'IssuePriorityChanged',
    data: { ...ref, priority, previousPriority },
  }),
  dueDate: (dueDate: string | null, previousDueDate: string | null): IssueDueDateChanged => ({
    type: 'IssueDueDateChanged',
    data: { ...ref, dueDate, previousDueDate },
  }),
  labels: (labelIds: readonly string[], previousLabelIds: readonly string[]): IssueLabelsChanged => ({
    type: 'IssueLabelsChanged',
    data: { ...ref, labelIds, previousLabelIds },
  }),
};
export const assigned = (assigneeId: string, previousAssigneeId: string | null = null): IssueAssigned => ({
  type: 'IssueAssigned',
  data: { ...ref, assigneeId, previousAssigneeId },
});
export const unassigned = (previousAssigneeId: string): IssueUnassigned => ({
  type: 'IssueUnassigned',
  data: { ...ref, previousAssigneeId },
});
export const deleted = (): IssueDeleted => ({ type: 'IssueDeleted', data: { ...ref } });

/** Who sends a command, and what the handler found out for it. */
export interface Actor {
  metadata: CommandMetadata;
  context: IssueContext;
}
export const actor = (
  actorId: string,
  actorRole: Role | null,
  context: Partial<IssueContext> = {},
): Actor => ({
  metadata: by(actorId),
  context: { actorRole, ...context },
});
export const asOwner = actor(OWNER, 'owner');
export const asManager = actor(MANAGER, 'manager');
export const asCreator = actor(MEMBER, 'member');
export const asOtherMember = actor(OTHER_MEMBER, 'member');
export const asOutsider = actor('user-eve-outsider', null);

type IssueCommandType = IssueCommand['type'];
type CommandOf<T extends IssueCommandType> = Extract<IssueCommand, { type: T }>;

/** Any issue command on ISSUE; the creator sends it unless told otherwise. */
export const issueCommand = <T extends Exclude<IssueCommandType, 'CreateIssue'>>(
  type: T,
  data: Omit<CommandOf<T>['data'], 'issueId'>,
  by: Actor = asCreator,
): CommandOf<T> => ({ type, data: { ...data, issueId: ISSUE }, ...by }) as CommandOf<T>;

export const createIssue = (
  fields: Partial<Omit<CreateIssue['data'], 'issueId' | 'projectId' | 'organizationId'>>,
  by: Actor = asCreator,
): CreateIssue => ({
  type: 'CreateIssue',
  data: { ...ref, title: 'Fix the launch pad', ...fields },
  ...by,
});
