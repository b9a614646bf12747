import { describe, expect, it } from 'vitest';
import { parseDeviceManifest } from '../../src/cli/device-manifest.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('parseDeviceManifest', () => {
  it('reads a JSON array or {devices: [...]}', () => {
    expect(parseDeviceManifest('[{"id":"a"},{"id":"b","fleet":"f"}]', 'json')).toEqual([{ id: 'a' }, { id: 'b', fleet: 'f' }]);
    expect(parseDeviceManifest('{"devices":[{"id":"a"}]}', 'json')).toEqual([{ id: 'a' }]);
    expect(() => parseDeviceManifest('{"id":"a"}', 'json')).toThrow(ValidationError);
    expect(() => parseDeviceManifest('[1]', 'json')).toThrow(/devices\[0\]/);
  });

  it('reads CSV with a header: numbers as numbers, empty cells absent, quoted fields, battery columns', () => {
    const csv = 'id,name,fleet,lifetimeYears,batteryCapacityWh,batteryCycleLife\r\nn1,"Pump, north",orchard,3,7.2,500\nn2,,,,,\n"n""3",x,,,,\n';
    expect(parseDeviceManifest(csv, 'csv')).toEqual([
      { id: 'n1', name: 'Pump, north', fleet: 'orchard', lifetimeYears: 3, battery: { capacityWh: 7.2, cycleLife: 500 } },
      { id: 'n2' },
      { id: 'n"3', name: 'x' },
    ]);
  });

  it('refuses unknown columns, a missing id column, ragged rows and non-numbers, naming the line', () => {
    expect(() => parseDeviceManifest('id,colour\na,red\n', 'csv')).toThrow(/unknown CSV columns: colour/);
    expect(() => parseDeviceManifest('fleet\nf\n', 'csv')).toThrow(/id column/);
    expect(() => parseDeviceManifest('id,fleet\na\n', 'csv')).toThrow(/line 2/);
    expect(() => parseDeviceManifest('id,lifetimeYears\na,five\n', 'csv')).toThrow(/line 2: lifetimeYears/);
    expect(() => parseDeviceManifest('', 'csv')).toThrow(/empty/);
  });
});
