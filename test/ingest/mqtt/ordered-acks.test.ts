/** OrderedAcks, pure: PUBACKs in arrival order [MQTT-4.6.0-2], a withheld ack blocks the rest of the connection. */
import { describe, expect, it } from 'vitest';
import { OrderedAcks } from '../../../src/ingest/mqtt/ordered-acks.js';

describe('OrderedAcks', () => {
  it('releases an ack only when every earlier message is done', () => {
    const sent: number[] = [];
    const acks = new OrderedAcks((id) => (sent.push(id), true));
    const [a, b, c] = [acks.enter(1), acks.enter(2), acks.enter(3)];
    c.ack();
    b.ack();
    expect(sent).toEqual([]);
    expect(acks.waiting).toBe(3);
    a.ack();
    expect(sent).toEqual([1, 2, 3]);
    expect(acks.waiting).toBe(0);
    a.ack(); // settling twice sends nothing more
    expect(sent).toEqual([1, 2, 3]);
  });

  it('a withheld ack blocks everything after it; acks before it went out', () => {
    const sent: number[] = [];
    const acks = new OrderedAcks((id) => (sent.push(id), true));
    const [a, b, c] = [acks.enter(1), acks.enter(2), acks.enter(3)];
    a.ack();
    c.ack();
    b.withhold();
    acks.enter(4).ack();
    expect(sent).toEqual([1]);
    expect(acks.waiting).toBe(0);
  });

  it('stops when the writer says the connection is gone', () => {
    const sent: number[] = [];
    const acks = new OrderedAcks((id) => (sent.push(id), id < 2));
    const tickets = [1, 2, 3].map((id) => acks.enter(id));
    for (const ticket of tickets.reverse()) ticket.ack();
    expect(sent).toEqual([1, 2]);
    expect(acks.waiting).toBe(0);
  });

  it('below(limit) resolves once the waiting acks fall under the limit', async () => {
    const acks = new OrderedAcks(() => true);
    const tickets = [1, 2, 3].map((id) => acks.enter(id));
    let resolved = false;
    const below = acks.below(2).then(() => (resolved = true));
    tickets[1]!.ack();
    await Promise.resolve();
    expect(resolved).toBe(false);
    tickets[0]!.ack(); // 1 and 2 go out: one waits
    await below;
    expect(acks.waiting).toBe(1);
  });
});
