/**
 * The PPK2 driver (`--serial <path>,driver=ppk2[,mode=…,voltage=…,logic=…]`; discovery opens USB 1915:c00a with it):
 * the seam's SerialDriver over Ppk2Session (start sequence, stream, stop) and the settings parser.
 */
import type { SerialDriver } from '../../driver.js';
import { PPK2_REJECT_REASONS, PPK2_SESSION_COUNTERS, Ppk2Session } from './ppk2-session.js';
import { PPK2_SETTING_KEYS, parsePpk2Settings, type Ppk2Settings } from './settings.js';

/** The kit is USB CDC ACM: the baud rate is not used (Nordic opens at 115200, IRNAS at 9600); 115200 as Nordic. */
export const PPK2_DEFAULT_BAUD = 115_200;

export const ppk2Driver: SerialDriver<Ppk2Settings> = {
  name: 'ppk2',
  title: 'Nordic Power Profiler Kit II (PPK2)',
  defaultBaud: PPK2_DEFAULT_BAUD,
  familyName: 'ppk2_port',
  sessionCounters: PPK2_SESSION_COUNTERS,
  reasons: PPK2_REJECT_REASONS,
  settingKeys: PPK2_SETTING_KEYS,
  parseSettings: parsePpk2Settings,
  open: (context) => new Ppk2Session(context),
};
