/** bench/listening-child.ts's LineKeeper: whole lines only, whatever the chunks, and only those asked for. */
import { describe, expect, it } from 'vitest';
import { LineKeeper } from '../../bench/listening-child.js';

describe('LineKeeper', () => {
  it('keeps a probe line that arrives split over chunks, and drops the lines around it', () => {
    const keeper = new LineKeeper((line) => line.startsWith('LOOP_TASK '));
    keeper.push('{"msg":"GET /livez"}\nLOOP_TA');
    keeper.push('SK {"maxMs":1.5}');
    expect(keeper.text()).toBe('');
    keeper.push('\n{"msg":"GET /api/health"}\n');
    expect(keeper.text()).toBe('LOOP_TASK {"maxMs":1.5}\n');
  });

  it('keeps nothing when asked for nothing', () => {
    const keeper = new LineKeeper(() => false);
    keeper.push('a\nb\n');
    expect(keeper.text()).toBe('');
  });
});
