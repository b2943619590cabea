import { describe, expect, it } from 'vitest';
import { WatchProxyError } from '@watch-proxy/core';
import type { Change, SendOutcome } from '@watch-proxy/core';
import { answerExcerpt, EXCERPT_CHARS, WITHHELD } from '../src/answer-excerpt.js';
import { useSinkFixture } from './helpers/sink-fixture.js';
import { batch, change, context } from './helpers/sink-harness.js';

const fx = useSinkFixture();

function secretChange(value: string): Change {
  const base = change(7);
  return { ...base, resource: 'secrets', object: { metadata: base.object['metadata'], data: { password: value } } };
}

function messageOf(outcome: SendOutcome): string {
  expect(outcome.status === 'retryable' || outcome.status === 'rejected').toBe(true);
  const error = (outcome as { error: Error }).error;
  expect(error).toBeInstanceOf(WatchProxyError);
  return error.message;
}

describe("a receiver's error answer in messages and logs", () => {
  it('withholds an answer that echoes the request body (Secret data with includeSecretData)', async () => {
    const secret = Buffer.from('s3cr3t-hunter2').toString('base64');
    fx.receiver.handle((request, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'bad payload', received: request.body.toString() }));
    });
    const outcome = await fx.sinkFor().send(batch([secretChange(secret)]), context());
    expect(outcome.status).toBe('rejected');
    const message = messageOf(outcome);
    expect(message).toContain('400');
    expect(message).toContain(WITHHELD);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('bad payload');
  });

  it('withholds an echo as a JSON string, and a value cut off at the end of the excerpt', () => {
    const value = 'line one "quoted"\nline two of a long secret value '.repeat(10);
    const item = secretChange(value);
    expect(answerExcerpt(`error: ${JSON.stringify(value)}`, [item])).toBe(WITHHELD);
    // The value starts inside the excerpt and runs past the end of what was captured.
    expect(answerExcerpt(`${'p'.repeat(EXCERPT_CHARS - 10)}${value.slice(0, 100)}`, [item])).toBe(WITHHELD);
    // Too short to tell an echo from a word: not looked for.
    expect(answerExcerpt('ok is not ok', [secretChange('ok')])).toBe('ok is not ok');
  });

  it("shows the status and a short excerpt without control characters, naming the object it refuses", async () => {
    fx.receiver.handle((_request, res) => {
      res.writeHead(422).end(`obj-1 in default: field spec.x is invalid\r\n\u001b[31mforged log line\u2028${'z'.repeat(5000)}`);
    });
    const message = messageOf(await fx.sinkFor().send(batch([change(1)]), context()));
    expect(message).toContain('422');
    expect(message).toContain('obj-1 in default: field spec.x is invalid');
    expect(message).not.toMatch(/[\p{Cc}\u2028]/u);
    const excerpt = message.slice(message.indexOf('obj-1'));
    expect(excerpt.length).toBeLessThanOrEqual(EXCERPT_CHARS + 1);
  });
});
