/** `import-devices` against the real service: a CSV manifest in several bulk requests, then again (409, and skipped). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_DEVICES_PER_REQUEST } from '../../../src/http/limits.js';
import { runCli } from '../../helpers/cli.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';

/** Three requests' worth: two full, one partial. */
const DEVICES = 2 * MAX_DEVICES_PER_REQUEST + 7;

describe('import-devices', () => {
  let ctx: TestService;
  beforeEach(async () => {
    ctx = await startTestService();
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('registers every device of a CSV manifest, refuses it again (409), and skips what exists with --skip-existing', async () => {
    const manifest = path.join(ctx.dataDir, 'fleet.csv');
    const rows = Array.from({ length: DEVICES }, (_, i) => `imp-${String(i).padStart(5, '0')},${i % 2 === 0 ? 'north' : 'south'},${i === 0 ? 3 : ''}`);
    writeFileSync(manifest, `id,fleet,lifetimeYears\n${rows.join('\n')}\n`);
    const args = ['import-devices', manifest, '--url', ctx.url, '--token', ctx.token];

    const first = await runCli(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ devices: DEVICES, created: DEVICES, existing: 0, requests: 3 });
    expect((await request(`${ctx.url}/api/devices?limit=1`)).body.total).toBe(DEVICES);
    expect((await request(`${ctx.url}/api/devices?fleet=south&limit=1`)).body.total).toBe((DEVICES - 1) / 2);
    expect((await request(`${ctx.url}/api/devices/imp-00000`)).body).toMatchObject({ fleet: 'north', spec: expect.objectContaining({ lifetimeYears: 3 }) });

    writeFileSync(manifest, `id,fleet\n${rows.map((row) => row.split(',').slice(0, 2).join(',')).join('\n')}\nimp-new,north\n`);
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refused \(409\)/);
    const skipping = await runCli([...args, '--skip-existing']);
    expect(skipping.code).toBe(0);
    expect(JSON.parse(skipping.stdout)).toMatchObject({ devices: DEVICES + 1, created: 1, existing: DEVICES });
    expect((await request(`${ctx.url}/api/devices?limit=1`)).body.total).toBe(DEVICES + 1);
  });

  it('names the bad device of a manifest the service refuses (400), and a missing token', async () => {
    const manifest = path.join(ctx.dataDir, 'fleet.json');
    writeFileSync(manifest, JSON.stringify([{ id: 'ok-1' }, { id: 'bad id' }]));
    const refused = await runCli(['import-devices', manifest, '--url', ctx.url, '--token', ctx.token]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/refused \(400\)[\s\S]*1/);
    expect((await request(`${ctx.url}/api/devices?limit=1`)).body.total).toBe(0);
    const noToken = await runCli(['import-devices', manifest, '--url', ctx.url, '--data-dir', path.join(ctx.dataDir, 'elsewhere')], {
      env: { TINYML_API_TOKEN: '' },
    });
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr).toMatch(/no API token/);
  });
});
