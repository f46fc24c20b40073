import { type CfnTemplate, resource } from './cfn-template.js';

/** The conditions of the stack as packaged by the tests (member accounts on, no policy URL override). */
export const PACKAGED_CONDITIONS: Readonly<Record<string, boolean>> = {
  HasPolicyUrl: false,
  HasOrganization: true,
  HasMemberAccess: true,
  HasAlarmEmail: false,
};

/**
 * A function's environment as Lambda would see it once deployed: references to the stack's own
 * resources replaced by plausible values (`ecs-admission-ci-<LogicalId>` names for Ref, role ARNs
 * and the API URL for GetAtt), `Fn::If` taking the branch `conditions` selects.
 */
export function deployedEnvironment(
  template: CfnTemplate,
  functionLogicalId: string,
  conditions: Readonly<Record<string, boolean>> = PACKAGED_CONDITIONS,
): Record<string, string> {
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (v.Ref === 'AWS::AccountId') return '111122223333';
    if (v.Ref === 'AWS::Region') return 'eu-west-1';
    if (typeof v.Ref === 'string') return `ecs-admission-ci-${v.Ref}`;
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [id, attribute] = v['Fn::GetAtt'] as string[];
      if (attribute === 'ApiEndpoint') return 'https://abc123.execute-api.eu-west-1.amazonaws.com';
      return `arn:aws:iam::111122223333:role/ecs-admission-ci-${id}`;
    }
    if (Array.isArray(v['Fn::If'])) {
      const [condition, whenTrue, whenFalse] = v['Fn::If'] as [string, unknown, unknown];
      return resolve(conditions[condition] ? whenTrue : whenFalse);
    }
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    throw new Error(`${functionLogicalId}: environment value not understood: ${JSON.stringify(value)}`);
  };
  const environment = resource(template, functionLogicalId).Properties.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  return Object.fromEntries(
    Object.entries(environment?.Variables ?? {}).map(([key, value]) => [key, resolve(value)]),
  );
}
