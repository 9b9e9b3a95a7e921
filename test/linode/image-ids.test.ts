import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudProvider } from '../../src/providers/cloud.ts';
import { imageIdIn, imageIdOut } from '../../src/providers/linode/index.ts';
import { newServer, providerFor, raw, startWorld, STRONG_PASSWORD, type World } from './helpers.ts';

describe('Linode image ids in the contract', () => {
  it("drops the prefix of Linode's public images and keeps every other id as it is", () => {
    expect(imageIdOut('linode/debian12')).toBe('debian12');
    expect(imageIdOut('linode/ubuntu24.04')).toBe('ubuntu24.04');
    expect(imageIdOut('private/123')).toBe('private/123');
    expect(imageIdOut('any/all')).toBe('any/all');
    // Nothing that would not find its way back: an empty name, or one with a slash of its own.
    expect(imageIdOut('linode/')).toBe('linode/');
    expect(imageIdOut('linode/a/b')).toBe('linode/a/b');
    expect(imageIdOut('debian12')).toBe('debian12');
  });

  it("puts a bare id back among Linode's public images and sends ids with a slash unchanged", () => {
    expect(imageIdIn('debian12')).toBe('linode/debian12');
    expect(imageIdIn('ubuntu24.04')).toBe('linode/ubuntu24.04');
    expect(imageIdIn('private/123')).toBe('private/123');
    // An id stored before the adapter dropped the prefix still works.
    expect(imageIdIn('linode/debian12')).toBe('linode/debian12');
  });

  it('round-trips every id Linode sends', () => {
    for (const id of ['linode/debian12', 'linode/rocky9', 'private/123', 'any/all', 'linode/', 'linode/a/b'])
      expect(imageIdIn(imageIdOut(id))).toBe(id);
  });
});

describe('Linode provider: image ids bare above the adapter, prefixed on the wire', () => {
  let w: World;
  let linode: CloudProvider;
  beforeEach(async () => {
    w = await startWorld();
    linode = providerFor(w);
  });
  afterEach(async () => {
    await w.emu.close();
  });
  const calls = (op: string) => w.emu.requests().filter((r) => r.op === op);

  it("lists the catalogue's images and the images each script runs on without Linode's name", async () => {
    const wire = await raw(w, 'GET', '/images');
    expect(wire.json.data.map((i: { id: string }) => i.id)).toContain('linode/debian12');

    const { images, scripts } = await linode.catalogue();

    expect(images.map((i) => i.id).sort()).toEqual(['almalinux9', 'debian12', 'rocky9', 'ubuntu22.04', 'ubuntu24.04']);
    expect(scripts.find((s) => s.id === '401697')!.images).toEqual(['ubuntu24.04', 'ubuntu22.04', 'debian12']);
    expect(JSON.stringify({ images, scripts })).not.toMatch(/linode\//);
  });

  it('creates from a bare id, reads the instance back with it, and rebuilds from one; Linode sees its own ids', async () => {
    const created = await linode.create(newServer({ image: 'debian12' }));
    expect(created.image).toBe('debian12');
    expect(calls('create_instance')[0]!.body).toMatchObject({ image: 'linode/debian12' });
    expect(w.emu.instance(created.id)!.image).toBe('linode/debian12');
    w.emu.settle(created.id);

    expect((await linode.get(created.id))!.image).toBe('debian12');
    expect((await linode.list()).map((i) => i.image)).toEqual(['debian12']);
    expect((await linode.findByTag(created.tags[0]!))!.image).toBe('debian12');

    await linode.rebuild(created.id, { image: 'rocky9', rootPassword: STRONG_PASSWORD, authorizedKeys: [] });
    expect(calls('rebuild')[0]!.body).toMatchObject({ image: 'linode/rocky9' });
    expect(w.emu.instance(created.id)!.image).toBe('linode/rocky9');
    expect((await linode.get(created.id))!.image).toBe('rocky9');
  });

  it('still takes an id stored with the prefix, and answers with the bare one', async () => {
    const created = await linode.create(newServer({ image: 'linode/almalinux9' }));

    expect(calls('create_instance')[0]!.body).toMatchObject({ image: 'linode/almalinux9' });
    expect(created.image).toBe('almalinux9');
    w.emu.settle(created.id);

    await linode.rebuild(created.id, { image: 'linode/debian12', rootPassword: STRONG_PASSWORD, authorizedKeys: [] });
    expect(calls('rebuild')[0]!.body).toMatchObject({ image: 'linode/debian12' });
    expect((await linode.get(created.id))!.image).toBe('debian12');
  });
});
