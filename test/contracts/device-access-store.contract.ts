// The DeviceAccessStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CertificateAuthority, DeviceAccessStore, DeviceCertificate } from '../../src/ports/device-access-store.js';

export function deviceAccessStoreContract(name: string, open: () => Promise<DeviceAccessStore>): void {
  test(`${name} - MQTT basic: found by the exact client id and username pair (null matches null), replaced per device`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    const clientId = `c-${randomUUID()}`;
    await store.putBasicCredential({ tenantId: t, deviceId: d, clientId, username: null, passwordHash: null, updatedAt: 1 });
    assert.equal((await store.findBasicCredential(clientId, null))?.deviceId, d);
    assert.equal(await store.findBasicCredential(clientId, 'someone'), null, 'a username the credential does not have');
    assert.equal(await store.findBasicCredential(null, null), null);
    await store.putBasicCredential({ tenantId: t, deviceId: d, clientId, username: 'u', passwordHash: 'h', updatedAt: 2 });
    assert.equal(await store.findBasicCredential(clientId, null), null, 'replaced');
    assert.deepEqual(await store.getBasicCredential(t, d), { tenantId: t, deviceId: d, clientId, username: 'u', passwordHash: 'h', updatedAt: 2 });
    assert.equal(await store.getBasicCredential(randomUUID(), d), null, 'another tenant sees nothing');
    assert.equal(await store.deleteBasicCredential(randomUUID(), d), false);
    assert.equal(await store.deleteBasicCredential(t, d), true);
    assert.equal(await store.getBasicCredential(t, d), null);
    await store.close();
  });

  test(`${name} - certificates: by fingerprint across tenants, listed newest first, revoked once`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    const cert = (fingerprint: string, createdAt: number): DeviceCertificate => ({
      fingerprint,
      tenantId: t,
      deviceId: d,
      serialNumber: '01',
      subject: 'CN=x',
      notBefore: 0,
      notAfter: 10,
      source: 'issued',
      createdAt,
      revokedAt: null,
    });
    const [a, b] = [randomUUID(), randomUUID()];
    await store.addCertificate(cert(a, 1));
    await store.addCertificate(cert(b, 2));
    await assert.rejects(store.addCertificate(cert(a, 3)), 'a fingerprint is unique');
    assert.deepEqual(await store.findCertificate(a), cert(a, 1));
    assert.deepEqual((await store.listCertificates(t, d)).map((c) => c.fingerprint), [b, a]);
    assert.deepEqual((await store.listCertificates(t)).map((c) => c.fingerprint), [b, a]);
    assert.equal(await store.revokeCertificate(randomUUID(), a, 5), null, 'another tenant cannot revoke it');
    assert.equal((await store.revokeCertificate(t, a, 5))?.revokedAt, 5);
    assert.equal((await store.revokeCertificate(t, a, 9))?.revokedAt, 5, 'the first revocation time stays');
    await store.close();
  });

  test(`${name} - authorities: per tenant, uploaded ones found by subject; disabled devices; deleting a device`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    const subject = `CN=${randomUUID()}`;
    const ca = (kind: 'vigil' | 'uploaded'): CertificateAuthority => ({
      id: randomUUID(),
      tenantId: t,
      kind,
      name: kind,
      certificatePem: 'pem',
      privateKey: kind === 'vigil' ? 'key' : null,
      subject,
      fingerprint: randomUUID(),
      createDevices: kind === 'uploaded',
      deviceType: 'meter',
      createdAt: kind === 'vigil' ? 1 : 2,
    });
    const [own, uploaded] = [ca('vigil'), ca('uploaded')];
    await store.putAuthority(own);
    await store.putAuthority(uploaded);
    assert.deepEqual(await store.listAuthorities(t), [own, uploaded]);
    assert.deepEqual(await store.findUploadedAuthorities(subject), [uploaded]);
    assert.equal(await store.deleteAuthority(randomUUID(), uploaded.id), false);
    assert.equal(await store.deleteAuthority(t, uploaded.id), true);
    assert.deepEqual(await store.findUploadedAuthorities(subject), []);

    await store.setDisabled(t, d, true, 7);
    await store.setDisabled(t, d, true, 8);
    assert.deepEqual((await store.listDisabled()).filter((x) => x.deviceId === d), [{ tenantId: t, deviceId: d, since: 7 }]);
    await store.setDisabled(t, d, false, 9);
    assert.deepEqual((await store.listDisabled()).filter((x) => x.deviceId === d), []);

    await store.setDisabled(t, d, true, 10);
    await store.putBasicCredential({ tenantId: t, deviceId: d, clientId: randomUUID(), username: null, passwordHash: null, updatedAt: 1 });
    const fingerprint = randomUUID();
    await store.addCertificate({ fingerprint, tenantId: t, deviceId: d, serialNumber: '02', subject: 'CN=y', notBefore: 0, notAfter: 1, source: 'registered', createdAt: 1, revokedAt: null });
    await store.deleteDevice(t, d);
    assert.equal(await store.getBasicCredential(t, d), null);
    assert.equal(await store.findCertificate(fingerprint), null);
    assert.deepEqual((await store.listDisabled()).filter((x) => x.deviceId === d), []);
    await store.close();
  });
}
