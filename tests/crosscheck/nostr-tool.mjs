#!/usr/bin/env node
// Nostr cross-check tool built on the npm `nostr-tools` package: NIP-01 events, NIP-04 and
// NIP-44 v2, the pieces Nostr Wallet Connect (NIP-47) needs. tests/unit/NostrCryptoTest.cpp
// drives it with random inputs in both directions. Every mode except event-kat and check reads
// one JSON request per stdin line and writes one JSON answer per line, in order; a request the
// package refuses gives {"ok": false, "error": "<its message>"} and the next line goes on.
//
//   nip44-encrypt  {sec1, pub2, plaintext, nonce?}   -> {ok, conversation_key, payload}
//   nip44-decrypt  {conversation_key, payload}       -> {ok, plaintext}
//   nip04-encrypt  {sec1, pub2, plaintext}           -> {ok, payload}
//   nip04-decrypt  {sec1, pub2, payload}             -> {ok, plaintext}
//   sign-event     {secret_key, created_at, kind, tags, content} -> {ok, event, event_json}
//   verify-event   {event}  -> {ok, verified, computed_id, signature_valid}
//   event-kat      -> the known-answer file tests/data/nostr/events.json (deterministic)
//   check N [SEED] -> N self round trips of the above inside nostr-tools, "N passed, N failed"
//
// Keys and nonces are lowercase hex; plaintexts and contents are JSON strings.
// verify-event reports three things: `verified` is nostr-tools' verifyEvent; `computed_id` is
// its getEventHash (sha256 of JSON.stringify([0, pubkey, created_at, kind, tags, content]));
// `signature_valid` is the BIP340 check of `sig` over the event's own `id`, whatever that id
// hashes. NIP-01 and JSON.stringify escape C0 controls other than \b \t \n \f \r differently,
// and the last two answers let the C++ side check each serialization on its own.
import { finalizeEvent, getEventHash, getPublicKey, serializeEvent, verifyEvent } from 'nostr-tools/pure';
import * as nip04 from 'nostr-tools/nip04';
import { v2 as nip44 } from 'nostr-tools/nip44';
// The same @noble/curves instance nostr-tools/pure signs with; used for signatures with fixed
// BIP340 aux randomness (finalizeEvent always draws fresh aux bytes) and raw verification.
import { schnorr } from '@noble/curves/secp256k1.js';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => {
  if (typeof text !== 'string' || !/^([0-9a-f]{2})*$/.test(text)) throw new Error(`not lowercase hex: ${text}`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
};

const modes = {
  'nip44-encrypt': (r) => {
    const conversationKey = nip44.utils.getConversationKey(unhex(r.sec1), r.pub2);
    const payload = r.nonce === undefined
      ? nip44.encrypt(r.plaintext, conversationKey)
      : nip44.encrypt(r.plaintext, conversationKey, unhex(r.nonce));
    return { conversation_key: hex(conversationKey), payload };
  },
  'nip44-decrypt': (r) => ({ plaintext: nip44.decrypt(r.payload, unhex(r.conversation_key)) }),
  'nip04-encrypt': (r) => ({ payload: nip04.encrypt(r.sec1, r.pub2, r.plaintext) }),
  'nip04-decrypt': (r) => ({ plaintext: nip04.decrypt(r.sec1, r.pub2, r.payload) }),
  'sign-event': (r) => {
    const { secret_key: secretKey, ...template } = r;
    const event = finalizeEvent({ ...template }, unhex(secretKey));
    // event_json: the exact text JSON.stringify makes, for the C++ parser to read as is.
    return { event, event_json: JSON.stringify(event) };
  },
  'verify-event': (r) => {
    const event = r.event;
    let signatureValid;
    try {
      signatureValid = schnorr.verify(unhex(event.sig), unhex(event.id), unhex(event.pubkey));
    } catch {
      signatureValid = false;
    }
    return { verified: verifyEvent({ ...event }), computed_id: getEventHash(event), signature_valid: signatureValid };
  },
};

function answer(mode, line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `bad JSON input: ${e.message}` };
  }
  try {
    return { ok: true, ...modes[mode](request) };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  }
}

// ---- known answers: events signed with aux randomness of 32 zero bytes ----
// Secret keys are BIP340 test-vector keys. Each entry carries the JSON.stringify serialization
// (what nostr-tools hashes), the id and the deterministic signature.
function eventKat() {
  const zeroAux = new Uint8Array(32);
  const key3 = '0000000000000000000000000000000000000000000000000000000000000003';
  const keyB7 = 'b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef';
  const cases = [
    { note: 'plain text note with e and p tags', secret_key: key3, created_at: 1700000000, kind: 1,
      tags: [['e', '5c83da77af1dec6d7289834998ad7aafbd9e2191396d75ec3cc27f5a77226f36', 'wss://relay.example.com'],
        ['p', 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9']],
      content: 'hello nostr' },
    { note: 'every character NIP-01 escapes, and non-ASCII text', secret_key: key3, created_at: 1700000001, kind: 1,
      tags: [['t', 'quote " backslash \\ newline \n']],
      content: 'quote " backslash \\ newline \n return \r tab \t backspace \b formfeed \f slash / euro \u20ac heart \u{1f49c} nbsp \u00a0 ls \u2028 del \u007f' },
    { note: 'empty tags and content, kind 0, created_at 0', secret_key: keyB7, created_at: 0, kind: 0, tags: [], content: '' },
    { note: 'NWC request shape (kind 23194, p tag, NIP-44 payload), largest kind and created_at', secret_key: keyB7,
      created_at: 9007199254740991, kind: 65535,
      tags: [['p', 'dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659'], ['encryption', 'nip44_v2']],
      content: 'AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABee0G5VSK0/9YypIObAtDKfYEAjD35uVkHyB0F4DwrcNaCXlCWZKaArsGrY6M9wnuTMxWfp1RTN9Xga8no+kF5Vsb' },
    { note: 'C0 controls outside the NIP-01 list: JSON.stringify writes \\u00xx, NIP-01 writes them verbatim',
      secret_key: key3, created_at: 1700000002, kind: 4, tags: [['x', 'nul \u0000 us \u001f']], content: 'soh \u0001 vt \u000b esc \u001b' },
  ];
  return cases.map(({ secret_key: secretKey, note, ...template }) => {
    const event = { ...template, pubkey: getPublicKey(unhex(secretKey)) };
    const serialized = serializeEvent(event);
    const id = getEventHash(event);
    const sig = hex(schnorr.sign(unhex(id), unhex(secretKey), zeroAux));
    return { note, secret_key: secretKey, serialized_json_stringify: serialized, event: { id, ...event, sig } };
  });
}

// ---- check: self round trips, to see the package behaves before blaming either side ----
function check(n, seedArg) {
  const seed = seedArg ?? randomBytes(4).readUInt32BE(0);
  if (seedArg === undefined) process.stderr.write(`seed=${seed}\n`);
  let state = Number(seed) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const key = () => createHash('sha256').update(String(next())).digest('hex');
  let pass = 0;
  let fail = 0;
  for (let i = 0; i < n; i++) {
    const [a, b] = [key(), key()];
    const text = 'round trip \u{1f511} ' + 'x'.repeat(Math.floor(next() * 2000));
    const c44 = modes['nip44-encrypt']({ sec1: a, pub2: getPublicKey(unhex(b)), plaintext: text });
    const d44 = modes['nip44-decrypt']({ conversation_key: hex(nip44.utils.getConversationKey(unhex(b), getPublicKey(unhex(a)))), payload: c44.payload });
    const c04 = modes['nip04-encrypt']({ sec1: a, pub2: getPublicKey(unhex(b)), plaintext: text });
    const d04 = modes['nip04-decrypt']({ sec1: b, pub2: getPublicKey(unhex(a)), payload: c04.payload });
    const { event } = modes['sign-event']({ secret_key: a, created_at: i, kind: 1, tags: [['t', String(i)]], content: text });
    const v = modes['verify-event']({ event: JSON.parse(JSON.stringify(event)) });
    if (d44.plaintext === text && d04.plaintext === text && v.verified && v.signature_valid && v.computed_id === event.id) pass++;
    else fail++;
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exitCode = fail ? 1 : 0;
}

const [mode, nArg, seedArg] = process.argv.slice(2);
if (mode in modes) {
  const out = [];
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    if (line.trim()) out.push(JSON.stringify(answer(mode, line)));
  }
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
} else if (mode === 'event-kat') {
  process.stdout.write(JSON.stringify(eventKat(), null, 2) + '\n');
} else if (mode === 'check') {
  check(Number(nArg ?? 10), seedArg);
} else {
  console.error(`usage: node nostr-tool.mjs ${Object.keys(modes).join('|')} < requests.jsonl | event-kat | check N [SEED]`);
  process.exitCode = 2;
}
