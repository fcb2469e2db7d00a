import { createHash } from 'node:crypto';
import type { Commands, CommandResult } from '../../../src/commands';
import { attachmentStorageKey } from '../../../src/domain/issue/attachments';
import { createCommands } from '../../../src/commands';
import type { IssuePatch, Role } from '../../../src/domain';
import type { CreateIssueInput } from '../../../src/commands';
import type { EventStore, Position } from '../../../src/eventstore/port';
import { inMemoryCredentials, plainHasher } from '../credentials';

/** An issue's fields as a read-model test gives them: the project is named apart. */
export type IssueFields = Omit<CreateIssueInput, 'projectId' | 'issueId'>;

/**
 * Produces real events for read-model tests by running the real command handlers, with a clock the test sets:
 * each decision takes the time `clock` says, then moves it on by `stepMs`. Who does what comes first in every
 * call. Domain errors propagate, so a generator can try anything and skip what the domain refuses.
 */
export class World {
  /** The time of the next decision, in epoch milliseconds. */
  clock: number;
  /** The position of the last command that appended anything. */
  lastPosition: Position | null = null;
  private readonly commands: Commands;

  constructor(store: EventStore, options: { start?: string; stepMs?: number } = {}) {
    this.clock = Date.parse(options.start ?? '2025-01-01T00:00:00.000Z');
    const stepMs = options.stepMs ?? 1000;
    const tick = () => {
      const now = new Date(this.clock);
      this.clock += stepMs;
      return now;
    };
    this.commands = createCommands({
      store,
      credentials: inMemoryCredentials(),
      hasher: plainHasher,
      // Memberships are counted by a read model these tests build themselves: no limit here.
      memberships: { count: async () => 0, limit: Number.POSITIVE_INFINITY },
      options: { clock: tick },
    });
  }

  private async recorded<R extends CommandResult>(result: Promise<R>): Promise<R> {
    const done = await result;
    if (done.position !== null) this.lastPosition = done.position;
    return done;
  }

  /** A user with this username (unique in the world) and `<username>@example.com`; returns the user id. */
  async register(username: string): Promise<string> {
    const email = `${username}@example.com`;
    const password = 'correct horse battery staple';
    return (await this.recorded(this.commands.registerUser({ username, email, password }))).userId;
  }

  /** Users registered one after another, in this order; their ids by username. */
  async registerAll<const Name extends string>(...usernames: Name[]): Promise<Record<Name, string>> {
    const ids = {} as Record<Name, string>;
    for (const username of usernames) ids[username] = await this.register(username);
    return ids;
  }

  async createOrganization(actorId: string, name: string): Promise<string> {
    return (await this.recorded(this.commands.createOrganization({ actorId }, { name }))).organizationId;
  }

  renameOrganization(actorId: string, organizationId: string, name: string) {
    return this.recorded(this.commands.renameOrganization({ actorId }, { organizationId, name }));
  }

  addMember(actorId: string, organizationId: string, userId: string, role: Role = 'member') {
    return this.recorded(this.commands.addMember({ actorId }, { organizationId, userId, role }));
  }

  changeRole(actorId: string, organizationId: string, userId: string, role: Role) {
    return this.recorded(this.commands.changeMemberRole({ actorId }, { organizationId, userId, role }));
  }

  removeMember(actorId: string, organizationId: string, userId: string) {
    return this.recorded(this.commands.removeMember({ actorId }, { organizationId, userId }));
  }

  async createProject(actorId: string, organizationId: string, name: string, description?: string) {
    const created = this.commands.createProject({ actorId }, { organizationId, name, description });
    return (await this.recorded(created)).projectId;
  }

  updateProject(actorId: string, projectId: string, patch: { name?: string; description?: string }) {
    return this.recorded(this.commands.updateProject({ actorId }, { projectId, ...patch }));
  }

  archiveProject(actorId: string, projectId: string) {
    return this.recorded(this.commands.archiveProject({ actorId }, { projectId }));
  }

  async createIssue(actorId: string, projectId: string, fields: IssueFields): Promise<string> {
    return (await this.recorded(this.commands.createIssue({ actorId }, { projectId, ...fields }))).issueId;
  }

  updateIssue(actorId: string, issueId: string, patch: IssuePatch) {
    return this.recorded(this.commands.updateIssue({ actorId }, { issueId, ...patch }));
  }

  deleteIssue(actorId: string, issueId: string) {
    return this.recorded(this.commands.deleteIssue({ actorId }, { issueId }));
  }

  async createLabel(
    actorId: string,
    organizationId: string,
    name: string,
    color = '#336699',
  ): Promise<string> {
    const created = this.commands.createLabel({ actorId }, { organizationId, name, color });
    return (await this.recorded(created)).labelId;
  }

  updateLabel(
    actorId: string,
    organizationId: string,
    labelId: string,
    patch: { name?: string; color?: string },
  ) {
    return this.recorded(this.commands.updateLabel({ actorId }, { organizationId, labelId, ...patch }));
  }

  deleteLabel(actorId: string, organizationId: string, labelId: string) {
    return this.recorded(this.commands.deleteLabel({ actorId }, { organizationId, labelId }));
  }

  async addComment(actorId: string, issueId: string, body: string): Promise<string> {
    return (await this.recorded(this.commands.addComment({ actorId }, { issueId, body }))).commentId;
  }

  editComment(actorId: string, issueId: string, commentId: string, body: string) {
    return this.recorded(this.commands.editComment({ actorId }, { issueId, commentId, body }));
  }

  deleteComment(actorId: string, issueId: string, commentId: string) {
    return this.recorded(this.commands.deleteComment({ actorId }, { issueId, commentId }));
  }

  watch(actorId: string, issueId: string, watching: boolean) {
    return this.recorded(
      watching
        ? this.commands.watchIssue({ actorId }, { issueId })
        : this.commands.unwatchIssue({ actorId }, { issueId }),
    );
  }

  /** Takes a deleted label off an issue, as the label-removals process does. */
  releaseLabel(actorId: string, issueId: string, labelId: string) {
    return this.recorded(this.commands.releaseLabel({ actorId }, { issueId, labelId }));
  }

  /** Attaches a file whose content is `content` (its bytes are not stored: read models see metadata only). */
  async addAttachment(actorId: string, issueId: string, filename: string, content: string): Promise<string> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    const result = await this.recorded(
      this.commands.addAttachment(
        { actorId },
        {
          issueId,
          filename,
          contentType: 'text/plain',
          detectedType: null,
          declaredType: 'text/plain',
          size: Buffer.byteLength(content),
          sha256,
          storageKey: attachmentStorageKey(sha256),
        },
      ),
    );
    return result.attachmentId;
  }

  removeAttachment(actorId: string, issueId: string, attachmentId: string) {
    return this.recorded(this.commands.removeAttachment({ actorId }, { issueId, attachmentId }));
  }
}
