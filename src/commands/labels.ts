import type { CreateLabel, DeleteLabel, UpdateLabel } from '../domain/organization/commands';
import { organizationDecider } from '../domain/organization/decider';
import { type OrganizationEvent, organizationStream } from '../domain/organization/events';
import type { AggregateRunner, CommandContext, CommandResult, Creating, Requested } from './aggregate-runner';
import { newAggregateId } from './ids';

type Result = CommandResult<OrganizationEvent>;

/** Labels live in their organization's stream: their names are unique there, checked against every other label. */
const onOrganization = (
  runner: AggregateRunner,
  context: CommandContext,
  request: Requested<CreateLabel | UpdateLabel | DeleteLabel>,
): Promise<Result> =>
  runner.run(
    organizationDecider,
    organizationStream(request.data.organizationId),
    context,
    (_, metadata) => ({
      ...request,
      metadata,
    }),
  );

export const createLabel = async (
  runner: AggregateRunner,
  context: CommandContext,
  input: Creating<CreateLabel['data'], 'labelId'>,
): Promise<Result & { labelId: string }> => {
  const data = { ...input, labelId: input.labelId ?? newAggregateId(context.commandId) };
  const result = await onOrganization(runner, context, { type: 'CreateLabel', data });
  return { ...result, labelId: data.labelId };
};

export const updateLabel = (
  runner: AggregateRunner,
  context: CommandContext,
  data: UpdateLabel['data'],
): Promise<Result> => onOrganization(runner, context, { type: 'UpdateLabel', data });

/** Deletes the label; the label-removals process then takes it off every issue that carries it. */
export const deleteLabel = (
  runner: AggregateRunner,
  context: CommandContext,
  data: DeleteLabel['data'],
): Promise<Result> => onOrganization(runner, context, { type: 'DeleteLabel', data });
