/**
 * The scenario format's device ops (docs/scenario-devices.md): each scenario runs through the
 * same runner as the conformance corpus, and its result lines are checked against what
 * spec/sg.md says the driver does (the kernel oracle cannot record these: no sg device).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../../scenario/run.js';
import { ScenarioError } from '../../scenario/parse.js';

/** Result lines (the init record dropped), parsed. */
function run(lines: string[]): Record<string, unknown>[] {
  const out = runScenarioText(lines.join('\n') + '\n');
  return out.trim().split('\n').slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const SETUP = [
  '{"op":"scsi_disk","blocks":2048,"pattern":1}',
  '{"op":"open","path":"/dev/sg0","flags":"O_RDWR|O_NONBLOCK"}',
  '{"op":"mmap","len":"0x2000","prot":"PROT_READ|PROT_WRITE","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}',
];

describe('scenario device ops', () => {
  it('the example: mmap-ed READ lands in the mapping; past the end is CHECK CONDITION with sense; ENOMEM and EFAULT from the mapping rules', () => {
    const r = run(readFileSync(new URL('../../examples/sg-mmap-io.jsonl', import.meta.url), 'utf8').trim().split('\n'));
    expect(r[0]).toEqual({ ret: '0x0' });
    expect(r[4]).toEqual({ data: '00800000' }); // SG_GET_RESERVED_SIZE: 32768
    expect(r[6]).toMatchObject({ ret: '0x0', sg: { status: '0x0', info: '0x0', resid: '0x0' } });
    expect(r[7]).toEqual({ data: '000000000000000a262728292a2b2c2d' });
    expect(r[8]).toMatchObject({ sg: { status: '0x2', driver_status: '0x8', sb_len_wr: '0x12', sense: '700005000000000a00000000210000000000' } });
    expect(r[9]).toEqual({ errno: 'ENOMEM' });
    expect(r[10]).toEqual({ errno: 'EFAULT' });
    const smaps = (r[11] as { smaps: { line: string; Rss: number }[] }).smaps;
    const sg = smaps.find((e) => e.line.endsWith('/dev/sg0'))!;
    expect(sg.line).toMatch(/ rw-s 00000000 00:05 \d+ +\/dev\/sg0$/);
    expect(sg.Rss).toBe(4);
  });

  it('async: submit, EAGAIN before the device ran, poll sleeps and sees POLLIN, receive by pack_id with force_packid', () => {
    const r = run([
      ...SETUP,
      '{"op":"store","addr":"$2+0x1000","data":"01000000"}',
      '{"op":"ioctl","fd":"$1","cmd":"SG_SET_FORCE_PACK_ID","arg":"$2+0x1000"}',
      '{"op":"sg_submit","fd":"$1","at":"$2","cdb":"000000000000","pack_id":5}',
      '{"op":"sg_submit","fd":"$1","at":"$2+0x100","cdb":"000000000000","pack_id":6}',
      '{"op":"sg_receive","fd":"$1","at":"$2+0x200"}',
      '{"op":"poll","fd":"$1","at":"$2+0x300","events":"POLLIN","timeout":1000}',
      '{"op":"sg_receive","fd":"$1","at":"$2+0x200","pack_id":6}',
      '{"op":"ioctl","fd":"$1","cmd":"SG_GET_NUM_WAITING","arg":"$2+0x1000"}',
      '{"op":"load","addr":"$2+0x1000","len":4}',
    ]);
    expect(r[5]).toEqual({ ret: '0x58' });
    expect(r[6]).toEqual({ ret: '0x58' });
    expect(r[7]).toEqual({ errno: 'EAGAIN' });
    expect(r[8]).toEqual({ ret: '0x1', revents: '0x1' });
    expect(r[9]).toMatchObject({ ret: '0x58', sg: { pack_id: '0x6', status: '0x0' } });
    expect(r[11]).toEqual({ data: '01000000' });
  });

  it('SG_IO checks: ENOSYS, EMSGSIZE, EINVAL; write then indirect read back through buf', () => {
    const r = run([
      ...SETUP,
      '{"op":"sg_io","fd":"$1","at":"$2","cdb":"28000000000000000100","dir":"SG_DXFER_FROM_DEV","len":512,"buf":"$2+0x1000","interface_id":84}',
      '{"op":"sg_io","fd":"$1","at":"$2","cdb":"2800000000","dir":"SG_DXFER_FROM_DEV","len":512,"buf":"$2+0x1000"}',
      '{"op":"sg_io","fd":"$1","at":"$2","cdb":"28000000000000000100","dir":"SG_DXFER_FROM_DEV","len":"0x10000000","buf":"$2+0x1000"}',
      '{"op":"store","addr":"$2+0x1000","data":"deadbeef"}',
      '{"op":"sg_io","fd":"$1","at":"$2","cdb":"2a000000000700000100","dir":"SG_DXFER_TO_DEV","len":512,"buf":"$2+0x1000"}',
      '{"op":"store","addr":"$2+0x1000","data":"00000000"}',
      '{"op":"sg_io","fd":"$1","at":"$2","cdb":"28000000000700000100","dir":"SG_DXFER_FROM_DEV","len":512,"buf":"$2+0x1000"}',
      '{"op":"load","addr":"$2+0x1000","len":4}',
    ]);
    expect(r[3]).toEqual({ errno: 'ENOSYS' });
    expect(r[4]).toEqual({ errno: 'EMSGSIZE' });
    expect(r[5]).toEqual({ errno: 'EINVAL' });
    expect(r[7]).toMatchObject({ ret: '0x0', sg: { status: '0x0' } });
    expect(r[9]).toMatchObject({ ret: '0x0', sg: { status: '0x0', resid: '0x0' } });
    expect(r[10]).toEqual({ data: 'deadbeef' });
  });

  it('bad device-op lines are scenario errors', () => {
    expect(() => run(['{"op":"ioctl","fd":3,"cmd":"SG_NOPE"}'])).toThrow(ScenarioError);
    expect(() => run(['{"op":"sg_io","fd":3,"at":"0x1000"}'])).toThrow(ScenarioError);
    expect(run(['{"op":"scsi_disk","block_size":100}'])[0]).toMatchObject({ error: expect.stringContaining('harness') });
  });
});
