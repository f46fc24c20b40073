// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JavaScript templates
import type { CfnTemplate } from './cfn-template.js';

/**
 * The only actions a statement may grant on `Resource: '*'`, each with the reason. Source: the
 * Service Authorization Reference (docs.aws.amazon.com/service-authorization/latest/reference/
 * list_amazonelasticcontainerservice.html and list_amazonelasticcontainerregistry.html): these
 * actions list no resource type, so a statement naming any ARN would never match them.
 */
export const STAR_RESOURCE_EXCEPTIONS: Readonly<Record<string, string>> = {
  'ecs:RegisterTaskDefinition':
    'no resource type: the revision has no ARN before the call (the tag written with it is limited by ecs:TagResource + ecs:CreateAction)',
  'ecs:DescribeTaskDefinition': 'no resource type: task definitions are read by family[:revision] or ARN',
  'ecs:ListTaskDefinitions': 'list action without a resource type',
  'ecs:DeregisterTaskDefinition': 'no resource type (used only with the opt-in deregisterSource)',
  'ecs:ListClusters': 'list action without a resource type (the sweep and the index fallback)',
  'ecs:ListServices':
    'no resource type; the statement must narrow it with the ecs:cluster condition to this account',
  'ecr:GetAuthorizationToken': 'registry-wide login token without a resource type (reading image configs)',
};

/** Actions whose `*` statement must also carry a condition, and the condition key it must use. */
export const STAR_RESOURCE_REQUIRED_CONDITION: Readonly<Record<string, string>> = {
  'ecs:ListServices': 'ecs:cluster',
};

/** Non-`*` resources that are not scoped to this account, and why that is right. */
export const CROSS_ACCOUNT_EXCEPTIONS: Readonly<Record<string, string>> = {
  'sts:AssumeRole':
    'the member-account role (one fixed name) in whichever account an event comes from; the role itself demands the external ID',
};

/** One policy statement and where it was found. */
export interface FoundStatement {
  /** `LogicalId` of the role or policy, plus the policy name. */
  owner: string;
  /** `identity` (what a principal may do) or `resource` (who may act on a resource). */
  kind: 'identity' | 'resource';
  statement: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NO_VALUE = JSON.stringify({ Ref: 'AWS::NoValue' });

/**
 * Both branches of every `Fn::If` (CloudFormation keeps one; a policy must be right either way),
 * with `AWS::NoValue` as `undefined` (an absent statement or condition).
 */
function branches(value: unknown): unknown[] {
  if (isObject(value) && Array.isArray(value['Fn::If'])) {
    const [, whenTrue, whenFalse] = value['Fn::If'] as unknown[];
    return [...branches(whenTrue), ...branches(whenFalse)];
  }
  return [JSON.stringify(value) === NO_VALUE ? undefined : value];
}

/** Every statement of `document` with both branches of each conditional statement or condition. */
function statementsOf(document: unknown): Record<string, unknown>[] {
  if (typeof document === 'string') return statementsOf(JSON.parse(document));
  if (!isObject(document)) return [];
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : [raw];
  return list
    .flatMap(branches)
    .filter(isObject)
    .flatMap((statement) =>
      branches(statement.Condition).map((condition) => {
        const copy = { ...statement };
        if (condition === undefined) delete copy.Condition;
        else copy.Condition = condition;
        return copy;
      }),
    );
}

const RESOURCE_POLICY_TYPES: Record<string, string> = {
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::Logs::ResourcePolicy': 'PolicyDocument',
};

/** Every IAM statement in the template: role inline policies, policies, and resource policies. */
export function collectStatements(template: CfnTemplate): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties;
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? []) {
        for (const statement of statementsOf(policy.PolicyDocument)) {
          found.push({ owner: `${id}/${policy.PolicyName}`, kind: 'identity', statement });
        }
      }
      for (const statement of statementsOf(props.AssumeRolePolicyDocument)) {
        found.push({ owner: `${id}/trust`, kind: 'resource', statement });
      }
    } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      for (const statement of statementsOf(props.PolicyDocument)) {
        found.push({ owner: id, kind: 'identity', statement });
      }
    } else if (resource.Type === 'AWS::Events::EventBusPolicy') {
      for (const statement of statementsOf({ Statement: props.Statement })) {
        found.push({ owner: id, kind: 'resource', statement });
      }
    } else {
      const key = RESOURCE_POLICY_TYPES[resource.Type];
      if (!key) continue;
      const document = props[key];
      // Logs resource policies are JSON strings, often inside Fn::Sub.
      const text =
        isObject(document) && typeof document['Fn::Sub'] === 'string' ? document['Fn::Sub'] : document;
      for (const statement of statementsOf(text)) found.push({ owner: id, kind: 'resource', statement });
    }
  }
  return found;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The actions of an Allow statement, as strings. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  return asList(statement.Action).map(String);
}

/** Whether `resource` is scoped to this account: `${AWS::AccountId}` in it, or a Ref/GetAtt. */
function scopedToThisAccount(resource: unknown): boolean {
  if (isObject(resource) && ('Ref' in resource || 'Fn::GetAtt' in resource)) return true;
  return JSON.stringify(resource).includes('${AWS::AccountId}');
}

/**
 * What is wrong with the template's permissions; empty when every Allow names its actions exactly,
 * uses `*` resources only for {@link STAR_RESOURCE_EXCEPTIONS}, stays in this account except for
 * {@link CROSS_ACCOUNT_EXCEPTIONS}, passes roles only to ECS tasks, and no role takes a managed policy.
 */
export function privilegeProblems(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role' && resource.Properties.ManagedPolicyArns !== undefined) {
      problems.push(`${id}: managed policies are not reviewed here; use inline statements`);
    }
  }
  for (const { owner, kind, statement } of collectStatements(template)) {
    const where = `${owner}${statement.Sid ? `/${String(statement.Sid)}` : ''}`;
    if (statement.Effect !== 'Allow') continue;
    if ('NotAction' in statement || 'NotResource' in statement || 'NotPrincipal' in statement) {
      problems.push(`${where}: NotAction/NotResource/NotPrincipal grant more than they say`);
    }
    const actions = actionsOf(statement);
    for (const action of actions) {
      if (action.includes('*')) problems.push(`${where}: wildcard action ${action}`);
    }
    if (kind === 'resource') {
      if (JSON.stringify(statement.Principal) === '"*"' && statement.Condition === undefined) {
        problems.push(`${where}: anyone may act, without a condition`);
      }
      continue;
    }
    for (const res of asList(statement.Resource)) {
      if (res === '*') {
        for (const action of actions) {
          if (!STAR_RESOURCE_EXCEPTIONS[action]) problems.push(`${where}: ${action} on '*'`);
          const key = STAR_RESOURCE_REQUIRED_CONDITION[action];
          if (key && !JSON.stringify(statement.Condition ?? {}).includes(`"${key}"`)) {
            problems.push(`${where}: ${action} on '*' without the ${key} condition`);
          }
        }
      } else if (!scopedToThisAccount(res)) {
        for (const action of actions) {
          if (!CROSS_ACCOUNT_EXCEPTIONS[action]) problems.push(`${where}: ${action} beyond this account`);
        }
      }
    }
    if (actions.includes('iam:PassRole')) {
      const condition = JSON.stringify(statement.Condition ?? {});
      if (!condition.includes('"iam:PassedToService":"ecs-tasks.amazonaws.com"')) {
        problems.push(`${where}: iam:PassRole without iam:PassedToService ecs-tasks.amazonaws.com`);
      }
    }
  }
  return problems;
}

/** The sorted, de-duplicated actions every Allow statement of the role's inline policies grants. */
export function roleActions(template: CfnTemplate, roleId: string): string[] {
  const actions = collectStatements(template)
    .filter(
      (s) => s.kind === 'identity' && s.owner.startsWith(`${roleId}/`) && s.statement.Effect === 'Allow',
    )
    .flatMap((s) => actionsOf(s.statement));
  return [...new Set(actions)].sort();
}
