/**
 * The organization the reliability suites work in, made over HTTP like any client would: an owner, managers (the
 * writers' actors, members for good), users the membership writer adds and removes, and projects.
 */
import { randomBytes } from 'node:crypto';
import { type Answer, type Outcome, type Person, request, signUp } from './http';
import type { World } from './workload';

export interface BuiltWorld extends World {
  /** Each project's position when it was made: a client resuming from it expects the whole feed. */
  projectPositions: readonly string[];
}

/** A command made while the service may still be starting: `201`, or `202` when the read models lag behind. */
const made = async (outcome: Promise<Outcome>, what: string): Promise<Answer> => {
  const result = await outcome;
  if (result.ok && (result.answer.status === 201 || result.answer.status === 202)) return result.answer;
  throw new Error(
    `${what}: ${result.ok ? `${result.answer.status} ${result.answer.text.slice(0, 300)}` : result.error}`,
  );
};

/** The id of what a command made: in its Location (a `202` has no body to name it). */
const madeId = (answer: Answer): string => {
  const id = /\/([0-9a-f-]{36})\/$/.exec(answer.headers.get('location') ?? '')?.[1];
  if (!id) throw new Error(`no id in the Location of ${answer.text.slice(0, 200)}`);
  return id;
};

export const buildWorld = async (
  base: string,
  sizes: { staff: number; rotating: number; projects: number },
): Promise<BuiltWorld> => {
  const tag = randomBytes(3).toString('hex');
  const owner = await signUp(base, `owner_${tag}`);
  const staff: Person[] = [];
  for (let i = 0; i < sizes.staff; i++) staff.push(await signUp(base, `staff${i}_${tag}`));
  const rotating: Person[] = [];
  for (let i = 0; i < sizes.rotating; i++) rotating.push(await signUp(base, `rotating${i}_${tag}`));
  const organization = await made(
    request(base, '/api/v1/organizations/', {
      method: 'POST',
      token: owner.token,
      body: { name: `Chaos ${tag}` },
    }),
    'create the organization',
  );
  const organizationId = madeId(organization);
  for (const person of staff)
    await made(
      request(base, `/api/v1/organizations/${organizationId}/members/`, {
        method: 'POST',
        token: owner.token,
        body: { user_id: person.id, role: 'manager' },
      }),
      `add ${person.username}`,
    );
  const projects: string[] = [];
  const projectPositions: string[] = [];
  for (let i = 0; i < sizes.projects; i++) {
    const project = await made(
      request(base, '/api/v1/projects/', {
        method: 'POST',
        token: owner.token,
        body: { organization: organizationId, name: `Project ${i}` },
      }),
      'create a project',
    );
    projects.push(madeId(project));
    projectPositions.push(project.headers.get('x-position') ?? '');
  }
  return { organizationId, projects, projectPositions, owner, staff, rotating, members: new Set() };
};
