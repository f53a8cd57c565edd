import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followDeployLog } from './deploy-log';
import { CommandFailed } from './errors';

/** One connection's body: the given SSE entries, then the stream closes (or errors, as a dropped connection). */
function body(entries: string[], options: { error?: boolean } = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const queue = [...entries];
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else if (options.error) controller.error(new TypeError('terminated'));
      else controller.close();
    },
  });
}
const entry = (id: number, event: string, data: object) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const line = (id: number) => entry(id, 'line', { at: `t${id}`, text: `line ${id}` });
const end = (id: number, phase: string) => entry(id, 'end', { at: `t${id}`, phase });
const noSleep = async () => undefined;

describe('sluice logs -f: following a deploy log over Server-Sent Events', () => {
  it('resumes with Last-Event-ID when the stream closes before the end: every line once, in order', async () => {
    const asked: Array<string | null> = [];
    const bodies = [body([line(1), line(2)]), body([line(3)], { error: true }), body([line(4), end(5, 'succeeded')])];
    const out: string[] = [];
    await followDeployLog('d1', async (last) => (asked.push(last), bodies.shift()!), (t) => out.push(t), { sleep: noSleep });
    assert.deepEqual(asked, [null, '2', '3']);
    assert.deepEqual(out, ['t1 line 1\n', 't2 line 2\n', 't3 line 3\n', 't4 line 4\n', 't5 deploy succeeded\n']);
  });

  it('fails the command when the deploy ends failed', async () => {
    await assert.rejects(
      followDeployLog('d2', async () => body([line(1), end(2, 'failed')]), () => undefined, { sleep: noSleep }),
      (e: Error) => e instanceof CommandFailed && e.message === 'deploy d2 failed',
    );
  });

  it('fails instead of passing when reconnections bring nothing new (never a success for a deploy not seen to end)', async () => {
    let opened = 0;
    await assert.rejects(
      followDeployLog('d3', async () => (opened++, body(opened === 1 ? [line(1)] : [])), () => undefined, { retries: 3, sleep: noSleep }),
      (e: Error) => e instanceof CommandFailed && /closed before the deploy ended, and 3 reconnections brought nothing new/.test(e.message),
    );
    assert.equal(opened, 4, 'the first connection and three reconnections');
  });

  it('a refusal of the first request is the API’s answer at once', async () => {
    let opened = 0;
    await assert.rejects(
      followDeployLog('d4', async () => {
        opened++;
        throw new CommandFailed('deploy d4 is not known (404 deploy_not_found)');
      }, () => undefined, { sleep: noSleep }),
      /404 deploy_not_found/,
    );
    assert.equal(opened, 1);
  });
});
