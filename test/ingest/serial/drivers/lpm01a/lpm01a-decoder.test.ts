/** The LPM01A's pure codec and stream decoder on the reference's vectors (instruments.md §2.3, §2.4) and framing edge cases. */
import { describe, expect, it } from 'vitest';
import { decodeBinarySample, formatVoltage, parseAsciiSample, parseNumericArg } from '../../../../../src/ingest/serial/drivers/lpm01a/lpm01a-codec.js';
import { Lpm01aDecoder, type Lpm01aMessage } from '../../../../../src/ingest/serial/drivers/lpm01a/lpm01a-decoder.js';

function decoder(binary = false): { decoder: Lpm01aDecoder; samples: number[]; messages: Lpm01aMessage[]; push: (...chunks: (string | number[])[]) => void } {
  const samples: number[] = [];
  const messages: Lpm01aMessage[] = [];
  const d = new Lpm01aDecoder({ sample: (value) => samples.push(value), message: (message) => messages.push(message) });
  d.binaryAfterStart = binary;
  const push = (...chunks: (string | number[])[]): void => {
    for (const chunk of chunks) d.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Uint8Array.from(chunk));
  };
  return { decoder: d, samples, messages, push };
}

describe('LPM01A values', () => {
  it('ASCII 6409-07 is 640.9 µA', () => {
    expect(parseAsciiSample('6409-07')).toBe(6.409e-4);
    expect(parseAsciiSample('1958-09')).toBeCloseTo(1.958e-6, 15);
    expect(parseAsciiSample('0023+01')).toBe(230);
    expect(parseAsciiSample('640-07')).toBeNull();
    expect(parseAsciiSample('6409-7')).toBeNull();
  });

  it('binary 52A0 is 640.9 µA and 3145 is 79.35 mA', () => {
    expect(decodeBinarySample(0x52a0) * 1e6).toBeCloseTo(640.9, 1);
    expect(decodeBinarySample(0x3145) * 1e3).toBeCloseTo(79.35, 2);
    expect(decodeBinarySample(0x52a0)).toBe(0x2a0 / 16 ** 5);
  });

  it('numeric arguments: digits, unit suffix, power-of-ten suffix; voltage as millivolts', () => {
    expect(parseNumericArg('3300m')).toBeCloseTo(3.3, 12);
    expect(parseNumericArg('3300-3')).toBeCloseTo(3.3, 12);
    expect(parseNumericArg('1k')).toBe(1000);
    expect(parseNumericArg('1+3')).toBe(1000);
    expect(parseNumericArg('100u')).toBeCloseTo(1e-4, 15);
    expect(parseNumericArg('fast')).toBeNull();
    expect(formatVoltage(3.3)).toBe('3300m');
    expect(formatVoltage(1.8)).toBe('1800m');
  });
});

describe('LPM01A stream decoder: text', () => {
  it('reads replies with the prompt: ack, both error forms with their detail, other prompt lines', () => {
    const { messages, push } = decoder();
    push('\r\nPowerShield > ack htc\r\n\r\n', '\r\nPowerShield > error freq 100k\r\nError detail: ascii max 10k\r\n');
    push('\r\nPowerShield > err volt 5000m\r\n', '\r\nPowerShield > Acquisition completed\r\n');
    expect(messages).toEqual([
      { type: 'ack', text: 'htc' },
      { type: 'error', text: 'freq 100k' },
      { type: 'errorDetail', text: 'ascii max 10k' },
      { type: 'error', text: 'volt 5000m' },
      { type: 'prompt', text: 'Acquisition completed' },
    ]);
  });

  it('several samples in one read, a sample split across reads, a NUL after a timestamp', () => {
    const { samples, messages, push } = decoder();
    push('6409-07\r\n1958-09\r\n20', '41-09\r\nTimeStamp: 011s 668ms, buff 00%\r\n\0', '3393-08\r\n');
    expect(samples).toEqual([6.409e-4, 1.958e-6, 2.041e-6, 3.393e-5]);
    expect(messages).toEqual([{ type: 'timestamp', ms: 11_668, bufferPct: 0 }]);
  });

  it('several samples on one line are each read; a partial fragment is counted, not guessed', () => {
    const { samples: samples, messages: messages, push: push } = decoder();
    push('6409-071958-09\r\n6409-0\r\n');
    expect(samples).toEqual([6.409e-4, 1.958e-6]);
    expect(messages).toEqual([{ type: 'garbage', what: 'partial_sample', bytes: 6 }]);
  });

  it('a summary mid-stream: end, the summary values (not samples), then samples again', () => {
    const { samples, messages, push } = decoder();
    push('6409-07\r\n\r\nend\r\nsummary begin\r\n0023-10\r\n', '6409-07\r\nsummary end\r\n\r\nPowerShield > Acquisition completed\r\n1000-06\r\n');
    expect(samples).toEqual([6.409e-4, 1e-3]);
    expect(messages).toEqual([{ type: 'end' }, { type: 'summary', values: [2.3e-9, 6.409e-4] }, { type: 'prompt', text: 'Acquisition completed' }]);
  });

  it('event markers, acquisition errors, power status, and lines the LPM01A never sends', () => {
    const { messages, push } = decoder();
    push('event 3 ris\r\nerror voltage drop\r\npwr on\r\n$TMF1,S,1000,27200*5A\r\n');
    expect(messages).toEqual([
      { type: 'event', number: 3, edge: 'ris' },
      { type: 'acquisitionError', text: 'voltage drop' },
      { type: 'power', on: true },
      { type: 'unknown', text: '$TMF1,S,1000,27200*5A' },
    ]);
  });

  it('an overlong line is dropped and counted once', () => {
    const { samples, messages, push } = decoder();
    push('x'.repeat(200), 'y'.repeat(200), '\r\n6409-07\r\n');
    expect(samples).toEqual([6.409e-4]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'garbage', what: 'overlong_line' });
  });
});

describe('LPM01A stream decoder: binary', () => {
  it('switches to binary after ack start, decodes words and metadata, back to text after the end tag', () => {
    const { samples, messages, push } = decoder(true);
    push('\r\nPowerShield > ack start\r\n\r\n');
    push([0x52, 0xa0, 0x31], [0x45]); // a word split across reads
    push([0xf0, 0xf3, 0x00, 0x00, 0x2d, 0x94, 0x07, 0xff, 0xff]); // timestamp 11 668 ms, load 7 %
    push([0xf0, 0xf7, 0x0c, 0xe4, 0xff, 0xff, 0xf0, 0xf2, 0x68, 0x69, 0x0d, 0x0a, 0xff, 0xff]);
    push([0x52, 0xa0, 0xf0, 0xf4, 0xff], [0xff, ...Buffer.from('\r\nsummary begin\r\n0023-10\r\nsummary end\r\n\r\nPowerShield > Acquisition completed\r\n')]);
    expect(samples.map((v) => Math.round(v * 1e8) / 1e8)).toEqual([0.00064087, 0.0793457, 0.00064087]);
    expect(messages).toEqual([
      { type: 'ack', text: 'start' },
      { type: 'timestamp', ms: 11_668, bufferPct: 7 },
      { type: 'voltage', mV: 3300 },
      { type: 'info', text: 'hi' },
      { type: 'end' },
      { type: 'summary', values: [2.3e-9] },
      { type: 'prompt', text: 'Acquisition completed' },
    ]);
  });

  it('an error tag, an overcurrent tag, a reserved word and broken metadata are reported and skipped', () => {
    const { samples, messages, push } = decoder(true);
    push('\r\nPowerShield > ack start\r\n\r\n');
    push([
      0xf0,
      0xf1,
      ...Buffer.from('overcurrent\r\n'),
      0xff,
      0xff,
      0xf0,
      0xf5,
      0xff,
      0xff,
      0xf1,
      0x00,
      0xf0,
      0xf7,
      0x0c,
      0xe4,
      0x00,
      0x00,
      0xff,
      0xff,
      0x52,
      0xa0,
    ]);
    expect(samples).toHaveLength(1);
    expect(messages.slice(1)).toEqual([
      { type: 'acquisitionError', text: 'overcurrent' },
      { type: 'overcurrent' },
      { type: 'garbage', what: 'reserved_word', bytes: 2 },
      { type: 'garbage', what: 'bad_metadata', bytes: 8 },
    ]);
  });

  it('keeps an unfinished word or metadata block pending (counted at a cut)', () => {
    const { decoder: d, push } = decoder(true);
    push('\r\nPowerShield > ack start\r\n\r\n', [0x52]);
    expect(d.pendingBytes).toBe(1);
    push([0xa0, 0xf0, 0xf3, 0x00]);
    expect(d.pendingBytes).toBe(3);
  });
});
