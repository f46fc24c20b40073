import { type CollectionTag, parse, type ScalarTag, YAMLMap, YAMLSeq } from 'yaml';

/**
 * CloudFormation's YAML short forms (`!Ref X`, `!GetAtt A.B`, `!If [...]`) turned into the JSON
 * forms (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`) the packaged template uses, so one set of
 * assertions reads both kinds of template.
 */
const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
] as const;

function longForm(name: string, value: unknown): unknown {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const tag = `!${name}`;
  return [
    { tag, resolve: (value: string) => longForm(name, value) },
    {
      tag,
      collection: 'seq',
      nodeClass: YAMLSeq,
      resolve: (seq) => longForm(name, (seq as YAMLSeq).toJSON()) as never,
    },
    {
      tag,
      collection: 'map',
      nodeClass: YAMLMap,
      resolve: (map) => longForm(name, (map as YAMLMap).toJSON()) as never,
    },
  ];
}

const CUSTOM_TAGS = [...FUNCTIONS, 'GetAtt', 'Ref', 'Condition'].flatMap(tagsFor);

/** Parses a CloudFormation YAML template, short-form intrinsic functions included. */
export function parseCloudFormationYaml(text: string): unknown {
  return parse(text, { customTags: CUSTOM_TAGS, maxAliasCount: -1 });
}
