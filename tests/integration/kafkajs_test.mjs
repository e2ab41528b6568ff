// kafkajs 2.2 (a pure-JavaScript client with its own protocol code) against a real
// `sluice broker`: producer send with and without keys, admin createTopics / listTopics /
// fetchTopicOffsets (records read back with kcat); a consumer group that reads, commits and
// resumes at its committed offsets.
//
// Run: SLUICE_BIN=build/sluice node --test tests/integration/kafkajs_test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, Partitioners, CompressionTypes } = kafkajs;
const here = path.dirname(fileURLToPath(import.meta.url));
const SLUICE_BIN = process.env.SLUICE_BIN ?? path.resolve(here, '../../build/sluice');
const KCAT = process.env.KCAT ?? 'kcat';
const PARTITIONS = 3;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** A `sluice broker` child process on a free loopback port with a fresh data dir. */
async function startBroker(extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafkajs-'));
  const port = await freePort();
  const logPath = path.join(dir, 'broker.log');
  const out = fs.openSync(logPath, 'a');
  const proc = spawn(SLUICE_BIN, ['broker', '--listen', `127.0.0.1:${port}`, '--data-dir',
    path.join(dir, 'data'), ...extraArgs], { stdio: ['ignore', out, out] });
  let exited = null;
  const exit = new Promise((resolve) => proc.on('exit', (code, signal) => {
    exited = { code, signal }; resolve(exited);
  }));
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exited) throw new Error(`broker exited ${JSON.stringify(exited)}:\n${fs.readFileSync(logPath, 'utf8')}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error(`broker did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    bootstrap: `127.0.0.1:${port}`,
    log: () => fs.readFileSync(logPath, 'utf8'),
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      const result = await exit;
      fs.closeSync(out);
      return result;
    },
    dir,
  };
}

/** Every record of a topic read with kcat: {partition, offset, key, value, headers}. */
function kcatConsume(bootstrap, topic) {
  const p = spawnSync(KCAT, ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-f',
    '%p %o %K %S|%k%s|%h\\n'], { maxBuffer: 1 << 28, timeout: 120000 });
  assert.equal(p.status, 0, `kcat failed: ${p.stderr}`);
  const out = p.stdout;
  const records = [];
  let pos = 0;
  while (pos < out.length) {
    const bar = out.indexOf('|', pos);
    const [partition, offset, klen, vlen] = out.subarray(pos, bar).toString().split(' ').map(Number);
    pos = bar + 1;
    const key = klen < 0 ? null : out.subarray(pos, pos + klen).toString('latin1');
    pos += Math.max(klen, 0);
    const value = vlen < 0 ? null : out.subarray(pos, pos + vlen).toString('latin1');
    pos += Math.max(vlen, 0);
    assert.equal(out[pos], '|'.charCodeAt(0), `kcat output out of step at ${pos}`);
    const nl = out.indexOf('\n', pos + 1);
    const headers = out.subarray(pos + 1, nl).toString();
    pos = nl + 1;
    records.push({ partition, offset, key, value, headers });
  }
  return records;
}

let broker;
let kafka;

before(async () => {
  broker = await startBroker(['--partitions', String(PARTITIONS)]);
  kafka = new Kafka({ clientId: 'sluice-kafkajs-test', brokers: [broker.bootstrap],
    logLevel: logLevel.ERROR, retry: { retries: 3 } });
});

after(async () => {
  const result = await broker.stop();
  assert.deepEqual(result, { code: 0, signal: null }, broker.log().slice(-4000));
  fs.rmSync(broker.dir, { recursive: true, force: true });
});

const latin1 = (s) => Buffer.from(s, 'utf8').toString('latin1');

function checkPerPartitionOrder(records, sent) {
  // Offsets of each partition are dense from 0 and records keep their send order.
  const sentIndex = new Map(sent.map((s, i) => [latin1(s.value), i]));
  const byPartition = new Map();
  for (const r of records) {
    if (!byPartition.has(r.partition)) byPartition.set(r.partition, []);
    byPartition.get(r.partition).push(r);
  }
  for (const [p, recs] of byPartition) {
    assert.deepEqual(recs.map((r) => r.offset), recs.map((_, i) => i), `partition ${p}`);
    const seqs = recs.map((r) => sentIndex.get(r.value) ?? -1);
    assert.ok(seqs.every((s, i) => s >= 0 && (i === 0 || s > seqs[i - 1])), `partition ${p} order`);
  }
  return byPartition;
}

test('producer send with keys, without keys, gzip', async () => {
  const topic = 'kjs-produce';
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const keyed = [];
  for (let i = 0; i < 1000; i++) {
    keyed.push({ key: `key-${i % 37}`, value: `keyed ${i} é✓`, headers: { seq: String(i) } });
  }
  const meta = await producer.send({ topic, acks: -1, messages: keyed });
  assert.ok(meta.length > 1, 'keys should spread over partitions');
  for (const m of meta) assert.equal(m.errorCode, 0);

  const unkeyed = [];
  for (let batch = 0; batch < 10; batch++) {
    const messages = [];
    for (let i = 0; i < 100; i++) messages.push({ value: `unkeyed ${batch * 100 + i}` });
    const res = await producer.send({ topic, acks: -1, messages,
      compression: batch % 2 ? CompressionTypes.GZIP : CompressionTypes.None });
    for (const m of res) assert.equal(m.errorCode, 0);
    unkeyed.push(...messages);
  }
  // One more record on an explicit partition: its offset follows what is already there.
  const single = await producer.send({ topic, acks: -1,
    messages: [{ partition: 2, key: null, value: 'last' }] });
  await producer.disconnect();

  const records = kcatConsume(broker.bootstrap, topic);
  assert.equal(records.length, 2001);
  assert.equal(Number(single[0].baseOffset),
    records.filter((r) => r.partition === 2).length - 1);

  const sent = [...keyed, ...unkeyed.map((m) => ({ key: null, value: m.value, headers: {} })),
    { key: null, value: 'last', headers: {} }];
  checkPerPartitionOrder(records, sent);
  const byValue = new Map(records.map((r) => [r.value, r]));
  const keyPartition = new Map();
  for (const s of sent) {
    const r = byValue.get(latin1(s.value));
    assert.ok(r, `missing ${s.value}`);
    assert.equal(r.key, s.key === null ? null : latin1(s.key));
    assert.equal(r.headers, Object.entries(s.headers ?? {}).map(([k, v]) => `${k}=${v}`).join(','));
    if (s.key !== null) {
      if (!keyPartition.has(s.key)) keyPartition.set(s.key, r.partition);
      assert.equal(keyPartition.get(s.key), r.partition, 'one key, one partition');
    }
  }
});

test('admin createTopics, listTopics, fetchTopicOffsets', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({
      topics: [{ topic: 'kjs-admin', numPartitions: 4 }, { topic: 'kjs-admin-1' }],
      waitForLeaders: true,
    }), true);
    // Creating an existing topic is not an error for kafkajs: it answers false.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 4 }] }),
      false);

    const topics = await admin.listTopics();
    assert.ok(topics.includes('kjs-admin') && topics.includes('kjs-admin-1'), String(topics));

    const md = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
    assert.equal(md.topics[0].partitions.length, 4);

    let offsets = await admin.fetchTopicOffsets('kjs-admin');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high, o.offset]).sort(),
      [0, 1, 2, 3].map((p) => [p, '0', '0', '0']));

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let p = 0; p < 4; p++) {
      const messages = Array.from({ length: 10 * (p + 1) }, (_, i) => ({ partition: p, value: `p${p}-${i}` }));
      await producer.send({ topic: 'kjs-admin', acks: -1, messages });
    }
    await producer.disconnect();

    offsets = await admin.fetchTopicOffsets('kjs-admin');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high, o.offset]).sort(),
      [0, 1, 2, 3].map((p) => [p, '0', String(10 * (p + 1)), String(10 * (p + 1))]));

    const ts = await admin.fetchTopicOffsetsByTimestamp('kjs-admin', Date.now() - 3600000);
    assert.deepEqual(ts.map((o) => [o.partition, o.offset]).sort(), [0, 1, 2, 3].map((p) => [p, '0']));

    const records = kcatConsume(broker.bootstrap, 'kjs-admin');
    for (let p = 0; p < 4; p++) {
      assert.deepEqual(records.filter((r) => r.partition === p).map((r) => r.value),
        Array.from({ length: 10 * (p + 1) }, (_, i) => `p${p}-${i}`));
    }
  } finally {
    await admin.disconnect();
  }
});

/** Runs a consumer of `groupId` until it has `count` records; returns them and disconnects. */
async function consumeGroup(groupId, topic, count) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} records in 60s`)), 60000);
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({ partition, offset: Number(message.offset), value: message.value.toString() });
          if (seen.length >= count) { clearTimeout(timer); resolve(); }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();  // commits what was processed, leaves the group
  }
  return seen;
}

test('consumer group reads, commits and resumes at the committed offsets', async () => {
  const topic = 'kjs-consume';
  const groupId = 'kjs-group';
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
  await producer.send({ topic, acks: -1, messages });

  const seen = await consumeGroup(groupId, topic, messages.length);
  assert.deepEqual(seen.map((r) => r.value).sort(), messages.map((m) => m.value).sort());

  // The group committed every partition's end offset.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.deepEqual(committed.partitions.map((p) => [p.partition, p.offset]).sort(),
      ends.map((p) => [p.partition, p.high]).sort());
    const { groups } = await admin.describeGroups([groupId]);
    assert.equal(groups[0].state, 'Empty');
    assert.equal(groups[0].protocolType, 'consumer');
  } finally {
    await admin.disconnect();
  }

  // A new consumer of the group reads only what came after.
  const more = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `w${i}` }));
  await producer.send({ topic, acks: -1, messages: more });
  await producer.disconnect();
  const resumed = await consumeGroup(groupId, topic, more.length);
  assert.deepEqual(resumed.map((r) => r.value).sort(), more.map((m) => m.value).sort());
});
