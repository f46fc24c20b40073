import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedSigningKeys } from '../../src/admission/aws-admission-runtime.js';
import { AdmissionError } from '../../src/admission/errors.js';
import { accountOfArn, tokenMinter, twinEmbedConfig } from '../../src/admission/twin-token.js';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { type AdmissionReplay, startAdmissionReplay } from '../../src/local/admission-replay.js';
import type { AccountFile } from '../../src/local/ecs-simulator/account-file.js';
import { verifyDefenderToken } from '../../src/policy/defender-token.js';
import { ACCOUNT, account, fargate } from './support/fixtures.js';

const KEY = 'k'.repeat(48);
const NOW = Date.parse('2026-11-22T00:00:00Z');
const SOURCE = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:1`;

describe('Function: twinEmbedConfig', () => {
  const mint = tokenMinter(
    () => KEY,
    () => NOW,
  );

  it('mints a token for the account of the source ARN and the family', async () => {
    // Act
    const config = await twinEmbedConfig(
      resolveEmbedConfig({}),
      { sourceArn: SOURCE, family: 'web', account: '999999999999' },
      mint,
    );

    // Assess
    expect(verifyDefenderToken(config.token ?? '', KEY, { now: NOW })).toMatchObject({
      account: ACCOUNT,
      family: 'web',
      iat: NOW / 1000,
    });
  });

  const kept: { name: string; config: Record<string, string> }[] = [
    { name: 'a literal token', config: { token: 'configured' } },
    {
      name: 'a token secret (account-wide token)',
      config: { tokenSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:defender' },
    },
  ];
  it.each(kept)('keeps $name and mints nothing', async ({ config }) => {
    // Prepare
    const base = resolveEmbedConfig(config);
    let minted = 0;

    // Act
    const out = await twinEmbedConfig(base, { sourceArn: SOURCE, family: 'web' }, () => {
      minted += 1;
      return 'minted';
    });

    // Assess
    expect(out).toBe(base);
    expect(minted).toBe(0);
  });

  it('uses the runtime account when the reference is no ARN, and fails without any account', async () => {
    // Act
    const withAccount = await twinEmbedConfig(
      resolveEmbedConfig({}),
      { sourceArn: 'web:1', family: 'web', account: '444455556666' },
      mint,
    );
    const without = twinEmbedConfig(resolveEmbedConfig({}), { sourceArn: 'web:1', family: 'web' }, mint);

    // Assess
    expect(verifyDefenderToken(withAccount.token ?? '', KEY, { now: NOW }).account).toBe('444455556666');
    await expect(without).rejects.toBeInstanceOf(AdmissionError);
  });

  it('reads the account of task-definition ARNs only', () => {
    // Assess
    expect(accountOfArn(SOURCE)).toBe(ACCOUNT);
    expect(accountOfArn('web:1')).toBeUndefined();
  });
});

describe('Function: cachedSigningKeys', () => {
  it('loads once for every later call, and loads again after a failure', async () => {
    // Prepare
    let loads = 0;
    const keys = cachedSigningKeys(async () => {
      loads += 1;
      if (loads === 1) throw new Error('throttled');
      return [KEY];
    });

    // Act
    const first = keys();
    await expect(first).rejects.toThrow('throttled');
    const second = await keys();
    const third = await keys();

    // Assess
    expect(second).toEqual([KEY]);
    expect(third).toBe(second);
    expect(loads).toBe(2);
  });
});

describe('Class: AdmissionController defender tokens (against the ECS simulator)', () => {
  let replay: AdmissionReplay | undefined;
  afterEach(async () => {
    await replay?.close();
    replay = undefined;
  });

  /** Registers `family` as a user, delivers the events, and returns the twin's sidecar token. */
  async function protect(
    file: AccountFile,
    family: string,
    logged: string[] = [],
  ): Promise<{ r: AdmissionReplay; token: string; twinArn: string }> {
    const r = await startAdmissionReplay({
      account: file,
      tokenFor: tokenMinter(() => KEY, Date.now),
      log: { info: (message, data) => logged.push(JSON.stringify({ message, data })) },
    });
    replay = r;
    const user = r.sim.client();
    await user.send(new RegisterTaskDefinitionCommand(fargate(family) as RegisterTaskDefinitionCommandInput));
    for (const e of r.sim.events.drain()) await r.deliver(e);
    await r.settle();
    const twinArn = r.decisions()[0]?.protectedRevision?.arn ?? '';
    const twin = await user.send(new DescribeTaskDefinitionCommand({ taskDefinition: twinArn }));
    user.destroy();
    const sidecar = twin.taskDefinition?.containerDefinitions?.find(
      (c) => c.name === 'ecs-admission-defender',
    );
    const token = sidecar?.environment?.find((e) => e.name === 'ECS_ADMISSION_TOKEN')?.value ?? '';
    return { r, token, twinArn };
  }

  it('ends with a twin whose sidecar token verifies for exactly its account and family', async () => {
    // Act
    const { token, twinArn } = await protect(account([fargate('web')], []), 'web');

    // Assess
    expect(twinArn).toBe(`arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:3`);
    expect(verifyDefenderToken(token, KEY, { family: 'web' })).toMatchObject({
      account: ACCOUNT,
      family: 'web',
    });
    expect(() => verifyDefenderToken(token, KEY, { family: 'other' })).toThrow(/another task family/);
    expect(() => verifyDefenderToken(token, 'x'.repeat(48))).toThrow(/does not verify/);
  });

  it('mints the token of a member account’s twin for the member account', async () => {
    // Prepare
    const member = '444455556666';

    // Act
    const { token, twinArn } = await protect({ ...account([], []), account: member }, 'api');

    // Assess
    expect(twinArn).toContain(`:${member}:task-definition/api:`);
    expect(verifyDefenderToken(token, KEY, { family: 'api' }).account).toBe(member);
  });

  it('keeps token values out of logged and published decisions', async () => {
    // Prepare
    const logged: string[] = [];

    // Act
    const { r, token } = await protect(account([fargate('web')], []), 'web', logged);

    // Assess
    expect(token).toMatch(/^eadt1\./);
    expect(logged.some((line) => line.includes('admission decision'))).toBe(true);
    for (const line of logged) expect(line).not.toContain(token);
    expect(JSON.stringify(r.bus.entries)).not.toContain(token);
    expect(JSON.stringify(r.bus.entries)).not.toContain(token.split('.')[2]);
  });
});
