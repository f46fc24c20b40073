import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEntry } from '../../src/aws/event-bus.js';
import { EventBridgeBus } from '../../src/aws/eventbridge-bus.js';

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const entry = (n: number, detailBytes = 10): BusEntry => ({
  source: 'ecs-admission',
  detailType: 'ECS Runtime Audit',
  detail: { n, pad: 'x'.repeat(detailBytes) },
  time: '2026-11-22T00:00:00Z',
});

function bus(maxAttempts = 3) {
  const sleeps: number[] = [];
  const b = new EventBridgeBus({
    busName: 'product-bus',
    client: new EventBridgeClient({ region: 'us-east-1' }),
    maxAttempts,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
  });
  return { b, sleeps };
}

const sentEntries = (call: number): PutEventsRequestEntry[] =>
  (eventBridge.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? []) as PutEventsRequestEntry[];

const ok = (input: { Entries?: PutEventsRequestEntry[] }) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `id-${i}` })),
});

describe('Class: EventBridgeBus', () => {
  it('puts entries in batches of at most 10 on the named bus', async () => {
    eventBridge.on(PutEventsCommand).callsFake(ok);
    const { b } = bus();
    const result = await b.put(Array.from({ length: 25 }, (_, i) => entry(i)));
    expect(result.failed).toEqual([]);
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 5,
    ]);
    expect(sentEntries(0)[0]).toMatchObject({
      EventBusName: 'product-bus',
      Source: 'ecs-admission',
      DetailType: 'ECS Runtime Audit',
    });
    expect(JSON.parse(sentEntries(2)[4]?.Detail ?? '{}').n).toBe(24);
  });

  it('keeps each call under 256 KiB', async () => {
    eventBridge.on(PutEventsCommand).callsFake(ok);
    const { b } = bus();
    await b.put([entry(1, 100_000), entry(2, 100_000), entry(3, 100_000)]);
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      2, 1,
    ]);
  });

  it('retries only the entries that failed, with backoff, until they land', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'c' },
        ],
      })
      .callsFake(ok);
    const { b, sleeps } = bus();
    const result = await b.put([entry(0), entry(1), entry(2)]);
    expect(result.failed).toEqual([]);
    expect(sentEntries(1).map((e) => JSON.parse(e.Detail ?? '{}').n)).toEqual([1]);
    expect(sleeps).toEqual([100]);
  });

  it('reports entries that still fail after the last attempt, and permanent errors at once', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: input.Entries.length,
      Entries: input.Entries.map((e) =>
        JSON.parse(e.Detail ?? '{}').n === 0
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }
          : { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' },
      ),
    }));
    const { b, sleeps } = bus(3);
    const result = await b.put([entry(0), entry(1)]);
    expect(result.failed.map((f) => [(f.entry.detail as { n: number }).n, f.error])).toEqual([
      [1, 'MalformedDetail: bad'],
      [0, 'InternalFailure: try later'],
    ]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('retries a call that throws', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .callsFake(ok);
    const { b } = bus();
    expect((await b.put([entry(0)])).failed).toEqual([]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('fails an entry over 256 KiB without calling EventBridge', async () => {
    const { b } = bus();
    const result = await b.put([entry(0, 300_000)]);
    expect(result.failed[0]?.error).toMatch(/over EventBridge's limit of 256 KiB/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
