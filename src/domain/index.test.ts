import * as domain from './index';

describe('the domain entry point', () => {
  it('exposes a decider per aggregate, the errors and upcasting at run time', () => {
    for (const decider of [
      domain.organizationDecider,
      domain.projectDecider,
      domain.issueDecider,
      domain.userDecider,
    ]) {
      expect(typeof decider.decide).toBe('function');
      expect(typeof decider.evolve).toBe('function');
      expect(typeof decider.initialState).toBe('function');
    }
    expect(domain.issueStream('1')).toBe('issue-1');
    expect(domain.organizationStream('1')).toBe('organization-1');
    expect(domain.projectStream('1')).toBe('project-1');
    expect(domain.userStream('1')).toBe('user-1');
    expect(new domain.NotFoundError('x')).toBeInstanceOf(domain.DomainError);
    expect(typeof domain.upcast).toBe('function');
  });
});
