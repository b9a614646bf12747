/** serve's per-port serial config: `--serial <path>[,driver=…,baud=…,device=…,<setting>=…]` and TINYML_SERIAL_PORTS. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { parseSerialPorts } from '../../../src/server/layers/serial-config.js';
import { loadServeConfig } from '../../../src/server/serve-config.js';

describe('--serial port specs', () => {
  it('read a path alone as a TMF1 port, and driver, baud, device and instrument settings after it', () => {
    expect(parseSerialPorts(['/dev/ttyACM0', '/dev/ttyUSB1,baud=9600,device=bench-1'])).toEqual([
      { path: '/dev/ttyACM0', driver: 'tmf1', settings: {} },
      { path: '/dev/ttyUSB1', driver: 'tmf1', baudRate: 9600, deviceId: 'bench-1', settings: {} },
    ]);
  });

  it('read the environment form: ports and their keys in one comma-separated list', () => {
    const config = loadServeConfig([], { TINYML_SERIAL_PORTS: '/dev/ttyACM0,baud=57600,/dev/ttyACM1,device=b' });
    expect(config.serial.ports).toEqual([
      { path: '/dev/ttyACM0', driver: 'tmf1', baudRate: 57600, settings: {} },
      { path: '/dev/ttyACM1', driver: 'tmf1', deviceId: 'b', settings: {} },
    ]);
  });

  it('refuse an unknown driver, a setting the driver does not take, a key before any path, a bad baud, a port twice', () => {
    expect(() => parseSerialPorts(['/dev/ttyACM0,driver=nosuch'])).toThrow(/unknown driver "nosuch" \(known: tmf1/);
    expect(() => parseSerialPorts(['/dev/ttyACM0,voltage=3.3'])).toThrow(/--serial \/dev\/ttyACM0: .*tmf1 takes no instrument settings, got "voltage"/);
    expect(() => parseSerialPorts(['baud=9600'])).toThrow(/must follow a port path/);
    expect(() => parseSerialPorts(['/dev/ttyACM0,baud=fast'])).toThrow(ConfigError);
    expect(() => parseSerialPorts(['/dev/ttyACM0', '/dev/ttyACM0'])).toThrow(/given twice/);
  });
});
