import { randomUUID } from 'node:crypto';
import type {
  Command,
  CommandMetadata,
  Decider,
  Event,
  IssuePatch,
  IssuePriority,
  IssueStatus,
  Role,
} from '../../domain';
import {
  issueDecider,
  issueStream,
  organizationDecider,
  organizationStream,
  projectDecider,
  projectStream,
  userDecider,
  userStream,
} from '../../domain';
import type { EventStore, Position, RecordedEvent } from '../../eventstore/port';

/**
 * Produces real events for projection tests: each method runs the domain's decider on the stream's folded state
 * (with the context a command handler would gather) and appends the outcome with the expected revision.
 * Domain errors propagate, so a generator can try anything and skip what the domain refuses.
 */
export class World {
  /** The time of the next command; each command moves it forward by `step` ms. */
  clock: number;

  constructor(
    readonly store: EventStore,
    options: { start?: string; stepMs?: number } = {},
  ) {
    this.clock = Date.parse(options.start ?? '2025-01-01T00:00:00.000Z');
    this.stepMs = options.stepMs ?? 1000;
  }

  private readonly stepMs: number;
  lastPosition: Position | null = null;

  private async fold<E extends Event, S>(decider: Decider<never, E, S>, streamId: string) {
    const recorded = await this.store.readStream(streamId);
    const state = recorded.reduce(
      (s, r) => decider.evolve(s, { type: r.type, data: r.data } as E),
      decider.initialState(),
    );
    return { state, revision: recorded.length - 1 };
  }

  private async run<C extends Command, E extends Event, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    actorId: string,
    build: (metadata: CommandMetadata, state: S) => C,
  ): Promise<E[]> {
    const { state, revision } = await this.fold(decider as unknown as Decider<never, E, S>, streamId);
    const now = new Date(this.clock).toISOString();
    this.clock += this.stepMs;
    const events = decider.decide(build({ actorId, now }, state), state);
    if (events.length === 0) return events;
    const commandId = randomUUID();
    const metadata = {
      actorId,
      correlationId: commandId,
      causationId: commandId,
      commandId,
      schemaVersion: 1,
      occurredAt: now,
    };
    await this.store.appendToStream(
      streamId,
      events.map((e) => ({ type: e.type, data: e.data, metadata })),
      { expectedRevision: revision < 0 ? 'no_stream' : revision },
    );
    // Read back rather than trust the append's answer: the position of the stream's last event is what we wait for.
    const [last] = await this.store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    this.lastPosition = last!.position;
    return events;
  }

  private async roleIn(organizationId: string, userId: string): Promise<Role | null> {
    const { state } = await this.fold(organizationDecider, organizationStream(organizationId));
    return state.members.get(userId) ?? null;
  }

  async register(username: string, userId: string = randomUUID()): Promise<string> {
    await this.run(userDecider, userStream(userId), userId, (metadata) => ({
      type: 'RegisterUser' as const,
      data: { userId, username, email: `${username}@example.com` },
      metadata,
    }));
    return userId;
  }

  async createOrganization(
    actorId: string,
    name: string,
    organizationId: string = randomUUID(),
  ): Promise<string> {
    await this.run(organizationDecider, organizationStream(organizationId), actorId, (metadata) => ({
      type: 'CreateOrganization' as const,
      data: { organizationId, name },
      metadata,
    }));
    return organizationId;
  }

  renameOrganization(actorId: string, organizationId: string, name: string) {
    return this.run(organizationDecider, organizationStream(organizationId), actorId, (metadata) => ({
      type: 'RenameOrganization' as const,
      data: { organizationId, name },
      metadata,
    }));
  }

  addMember(actorId: string, organizationId: string, userId: string, role: Role = 'member') {
    return this.run(organizationDecider, organizationStream(organizationId), actorId, (metadata) => ({
      type: 'AddMember' as const,
      data: { organizationId, userId, role },
      metadata,
    }));
  }

  changeRole(actorId: string, organizationId: string, userId: string, role: Role) {
    return this.run(organizationDecider, organizationStream(organizationId), actorId, (metadata) => ({
      type: 'ChangeMemberRole' as const,
      data: { organizationId, userId, role },
      metadata,
    }));
  }

  removeMember(actorId: string, organizationId: string, userId: string) {
    return this.run(organizationDecider, organizationStream(organizationId), actorId, (metadata) => ({
      type: 'RemoveMember' as const,
      data: { organizationId, userId },
      metadata,
    }));
  }

  async createProject(
    actorId: string,
    organizationId: string,
    name: string,
    description?: string,
    projectId: string = randomUUID(),
  ): Promise<string> {
    const actorRole = await this.roleIn(organizationId, actorId);
    await this.run(projectDecider, projectStream(projectId), actorId, (metadata) => ({
      type: 'CreateProject' as const,
      data: { projectId, organizationId, name, description },
      metadata,
      context: { actorRole },
    }));
    return projectId;
  }

  private async projectRole(projectId: string, actorId: string) {
    const { state } = await this.fold(projectDecider, projectStream(projectId));
    return {
      project: state,
      actorRole: state.exists ? await this.roleIn(state.organizationId, actorId) : null,
    };
  }

  async updateProject(actorId: string, projectId: string, patch: { name?: string; description?: string }) {
    const { actorRole } = await this.projectRole(projectId, actorId);
    return this.run(projectDecider, projectStream(projectId), actorId, (metadata) => ({
      type: 'UpdateProject' as const,
      data: { projectId, ...patch },
      metadata,
      context: { actorRole },
    }));
  }

  async archiveProject(actorId: string, projectId: string) {
    const { actorRole } = await this.projectRole(projectId, actorId);
    return this.run(projectDecider, projectStream(projectId), actorId, (metadata) => ({
      type: 'ArchiveProject' as const,
      data: { projectId },
      metadata,
      context: { actorRole },
    }));
  }

  async createIssue(
    actorId: string,
    projectId: string,
    fields: {
      title: string;
      description?: string;
      status?: IssueStatus;
      priority?: IssuePriority;
      dueDate?: string | null;
      assigneeId?: string | null;
    },
    issueId: string = randomUUID(),
  ): Promise<string> {
    const { project, actorRole } = await this.projectRole(projectId, actorId);
    const assigneeIsMember = fields.assigneeId
      ? (await this.roleIn(project.organizationId, fields.assigneeId)) !== null
      : undefined;
    await this.run(issueDecider, issueStream(issueId), actorId, (metadata) => ({
      type: 'CreateIssue' as const,
      data: { issueId, projectId, organizationId: project.organizationId, ...fields },
      metadata,
      context: { actorRole, assigneeIsMember, projectArchived: project.archived },
    }));
    return issueId;
  }

  private async issueContext(issueId: string, actorId: string, assigneeId?: string | null) {
    const { state } = await this.fold(issueDecider, issueStream(issueId));
    const actorRole = state.exists ? await this.roleIn(state.organizationId, actorId) : null;
    const assigneeIsMember = assigneeId
      ? (await this.roleIn(state.organizationId, assigneeId)) !== null
      : undefined;
    return { actorRole, assigneeIsMember };
  }

  async updateIssue(actorId: string, issueId: string, patch: IssuePatch) {
    const context = await this.issueContext(issueId, actorId, patch.assigneeId);
    return this.run(issueDecider, issueStream(issueId), actorId, (metadata) => ({
      type: 'UpdateIssue' as const,
      data: { issueId, ...patch },
      metadata,
      context,
    }));
  }

  async deleteIssue(actorId: string, issueId: string) {
    const context = await this.issueContext(issueId, actorId);
    return this.run(issueDecider, issueStream(issueId), actorId, (metadata) => ({
      type: 'DeleteIssue' as const,
      data: { issueId },
      metadata,
      context,
    }));
  }

  /** Everything appended after `from` (exclusive), in log order. */
  async eventsAfter(from: Position): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    for (let position = from; ; ) {
      const page = await this.store.readAll({ fromPosition: position, maxCount: 1000 });
      all.push(...page);
      if (page.length < 1000) return all;
      position = page[page.length - 1]!.position;
    }
  }
}
