import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSigV4Fetch, regionOfExecuteApi } from '../../src/aws/sigv4-fetch.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

/** An independent SigV4 computation (AWS's published algorithm) to check the signer's wiring. */
function expectedSignature(
  req: { method: string; path: string; query: string; headers: Record<string, string>; body: string },
  region: string,
): string {
  const names = Object.keys(req.headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = [
    req.method,
    req.path,
    req.query,
    ...names.map((n) => `${n}:${String(lower[n]).trim()}`),
    '',
    names.join(';'),
    createHash('sha256').update(req.body).digest('hex'),
  ].join('\n');
  const amzDate = String(lower['x-amz-date']);
  const scope = `${amzDate.slice(0, 8)}/${region}/execute-api/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`)
    .update(amzDate.slice(0, 8))
    .digest();
  for (const part of [region, 'execute-api', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('Function: createSigV4Fetch', () => {
  it('signs method, path, query, headers and body as AWS Signature Version 4', async () => {
    // Prepare
    let seen: { url: string; headers: Record<string, string> } | undefined;
    const signedFetch = createSigV4Fetch({
      region: 'eu-west-1',
      credentials,
      fetchImpl: async (url, init) => {
        seen = { url: String(url), headers: init?.headers as Record<string, string> };
        return new Response('{}');
      },
    });
    const body = '{"rules":[]}';

    // Act
    await signedFetch('https://abc.execute-api.eu-west-1.amazonaws.com/v1/rules?b=2&a=1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body,
    });

    // Assess
    const headers = seen?.headers ?? {};
    const auth =
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        headers.authorization ?? '',
      );
    expect(auth).not.toBeNull();
    const signedNames = (auth?.[2] ?? '').split(';');
    const signedHeaders = Object.fromEntries(signedNames.map((n) => [n, headers[n] ?? '']));
    expect(signedNames).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type']));
    expect(auth?.[3]).toBe(
      expectedSignature(
        { method: 'PUT', path: '/v1/rules', query: 'a=1&b=2', headers: signedHeaders, body },
        'eu-west-1',
      ),
    );
  });

  it('reads the region from an API Gateway endpoint', () => {
    expect(regionOfExecuteApi('https://abc123.execute-api.ap-southeast-2.amazonaws.com/v1')).toBe(
      'ap-southeast-2',
    );
    expect(regionOfExecuteApi('http://127.0.0.1:8080')).toBeUndefined();
  });
});
