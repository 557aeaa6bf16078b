// Which MQTT publishes are SenML, and which industrial-layout filters a device may subscribe to.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { senmlEncoding, SENML_CBOR_TOPIC, SENML_JSON_TOPIC } from '../../src/transports/mqtt/handlers/senml.js';
import { mayIndustrialSubscribe } from '../../src/transports/mqtt/handlers/industrial.js';
import { topicFamily } from '../../src/transports/mqtt/topics.js';

describe('SenML over MQTT: encoding by topic or MQTT 5 content type', () => {
  test('dedicated topics are telemetry and win over the content type', () => {
    assert.equal(topicFamily(SENML_JSON_TOPIC), 'telemetry');
    assert.equal(topicFamily(SENML_CBOR_TOPIC), 'telemetry');
    assert.equal(senmlEncoding({ topic: SENML_JSON_TOPIC, properties: undefined }), 'json');
    assert.equal(senmlEncoding({ topic: SENML_CBOR_TOPIC, properties: { contentType: 'application/senml+json' } }), 'cbor');
  });

  test('content type is case-insensitive and may carry parameters; anything else is ThingsBoard JSON', () => {
    const on = (contentType?: string) => senmlEncoding({ topic: 'v2/t', properties: contentType === undefined ? undefined : { contentType } });
    assert.equal(on('Application/SenML+JSON; charset=utf-8'), 'json');
    assert.equal(on('application/senml+cbor'), 'cbor');
    assert.equal(on('application/json'), null);
    assert.equal(on(undefined), null);
  });
});

describe('industrial layout subscriptions', () => {
  const own = new Set(['dev-1', 'press-7']);
  test('own config and command, by id or name', () => {
    assert.equal(mayIndustrialSubscribe('vigil/devices/dev-1/config', 'vigil', own), true);
    assert.equal(mayIndustrialSubscribe('vigil/devices/press-7/command', 'vigil', own), true);
    assert.equal(mayIndustrialSubscribe('devices/dev-1/command', '', own), true);
  });
  test('another device, wildcards, device-to-server resources and other prefixes are refused', () => {
    assert.equal(mayIndustrialSubscribe('vigil/devices/dev-2/config', 'vigil', own), false);
    assert.equal(mayIndustrialSubscribe('vigil/devices/+/config', 'vigil', own), false);
    assert.equal(mayIndustrialSubscribe('vigil/devices/dev-1/#', 'vigil', own), false);
    assert.equal(mayIndustrialSubscribe('vigil/devices/dev-1/telemetry', 'vigil', own), false);
    assert.equal(mayIndustrialSubscribe('other/devices/dev-1/config', 'vigil', own), false);
    assert.equal(mayIndustrialSubscribe('+/devices/dev-1/config', 'vigil', own), false);
  });
});
