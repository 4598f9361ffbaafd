#!/usr/bin/env node
// BOLT11 cross-check tool built on the npm `bolt11` package (see README.md).
//   node bolt11-tool.mjs generate N [SEED]  -> N lines {invoice, private_key_hex, expect}
//   node bolt11-tool.mjs decode             -> stdin invoices, one per line -> {ok, invoice, decoded|error}
//   node bolt11-tool.mjs check N [SEED]     -> generate + decode round trip, prints "N passed, N failed"
import bolt11 from 'bolt11';
import { createECDH, createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';

// `bolt11` knows bc/tb/bcrt/sb only; signet (lntbs) is a custom network object.
// Fallback-address hrps differ from invoice hrps on signet (addresses use "tb").
const NETWORKS = {
  bitcoin: { bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, validWitnessVersions: [0, 1] },
  testnet: { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  signet: { bech32: 'tbs', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  regtest: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
};
const ADDR_HRP = { bitcoin: 'bc', testnet: 'tb', signet: 'tb', regtest: 'bcrt' };
const DEFAULT_EXPIRY = 3600; // BOLT11 default when no x field
const DEFAULT_CLTV = 18; // BOLT11 default when no c field
// Feature names as the package lays out bits 0..19 (pairs: even = required, odd = supported).
const FEATUREBIT_ORDER = ['option_data_loss_protect', 'initial_routing_sync', 'option_upfront_shutdown_script',
  'gossip_queries', 'var_onion_optin', 'gossip_queries_ex', 'option_static_remotekey', 'payment_secret',
  'basic_mpp', 'option_support_large_channel'];

// ---- seeded PRNG (mulberry32) and helpers ----
function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const R = {
    f: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive, hi - lo < 2^32
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
    hex: (n) => R.bytes(n).toString('hex'),
    // log-uniform BigInt in [1, max]
    big: (max) => {
      const digits = R.int(1, max.toString().length);
      let s = String(R.int(1, 9));
      while (s.length < digits) s += String(R.int(0, 9));
      const v = BigInt(s);
      return v > max ? (v % max) + 1n : v;
    },
    shuffle: (arr) => {
      for (let i = arr.length - 1; i > 0; i--) { const j = Math.floor(next() * (i + 1)); [arr[i], arr[j]] = [arr[j], arr[i]]; }
      return arr;
    },
  };
  return R;
}

// ---- own address encoders (bech32/bech32m, base58check), independent of the package ----
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >>> i) & 1) chk ^= G[i];
  }
  return chk >>> 0;
}
function toWords(bytes) {
  const out = []; let acc = 0; let bits = 0;
  for (const b of bytes) { acc = (acc << 8) | b; bits += 8; while (bits >= 5) { bits -= 5; out.push((acc >>> bits) & 31); } acc &= 0xff; }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}
function bech32Encode(hrp, words, bech32m) {
  const hrpx = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = (polymod([...hrpx, ...words, 0, 0, 0, 0, 0, 0]) ^ (bech32m ? 0x2bc830a3 : 1)) >>> 0;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return hrp + '1' + [...words, ...checksum].map((w) => CHARSET[w]).join('');
}
function base58check(payload) {
  const sha = (b) => createHash('sha256').update(b).digest();
  const full = Buffer.concat([payload, sha(sha(payload)).subarray(0, 4)]);
  const A = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = BigInt('0x' + full.toString('hex')); let s = '';
  while (n > 0n) { s = A[Number(n % 58n)] + s; n /= 58n; }
  for (const b of full) { if (b !== 0) break; s = '1' + s; }
  return s;
}
// BOLT11 f field: code 17 = P2PKH, 18 = P2SH, 0..16 = segwit version.
function fallbackAddress(network, code, hashHex) {
  const hash = Buffer.from(hashHex, 'hex');
  const n = NETWORKS[network];
  if (code === 17) return base58check(Buffer.concat([Buffer.from([n.pubKeyHash]), hash]));
  if (code === 18) return base58check(Buffer.concat([Buffer.from([n.scriptHash]), hash]));
  if (code <= 16) return bech32Encode(ADDR_HRP[network], [code, ...toWords(hash)], code > 0);
  return null;
}

const scidString = (hex) => {
  const b = Buffer.from(hex, 'hex');
  return `${b.readUIntBE(0, 3)}x${b.readUIntBE(3, 3)}x${b.readUInt16BE(6)}`;
};
const pubkeyOf = (priv) => createECDH('secp256k1').setPrivateKey(priv).getPublicKey('hex', 'compressed');
function randomKey(R) {
  for (;;) { const k = R.bytes(32); try { return { priv: k, pub: pubkeyOf(k) }; } catch { /* out of range: retry */ } }
}

// ---- generate ----
const AMOUNT_KINDS = [
  // [unit in msat, max value]; value never a multiple of 1000 so the package really uses this multiplier
  ['', 100000000000n, 21000000n], ['m', 100000000n, 21000000000n], ['u', 100000n, 21000000000000n],
  ['n', 100n, 21000000000000000n],
];
function randomAmountMsat(R) {
  if (R.chance(0.15)) return null;
  const kind = R.int(0, 4);
  if (kind === 4) { // p: pico precision, i.e. msat not a multiple of 100 (pico = msat * 10)
    let msat = R.big(2100000000000000000n);
    if (msat % 100n === 0n) msat += BigInt(R.int(1, 99));
    return msat;
  }
  const [mult, unit, max] = AMOUNT_KINDS[kind];
  let v = R.big(max);
  if (mult !== '' && v % 1000n === 0n) v -= 1n;
  return v * unit;
}
const DESC_WORDS = ['coffee', 'L402 token', 'api access', 'sats', '☕ café', 'invoice #', 'Zürich', '⚡', 'test', 'svc:0'];
function randomDescription(R) {
  if (R.chance(0.1)) return '';
  let s = ''; const words = R.int(1, R.chance(0.1) ? 60 : 8);
  for (let i = 0; i < words; i++) s += (i ? ' ' : '') + R.pick(DESC_WORDS) + (R.chance(0.3) ? R.int(0, 99999) : '');
  return Buffer.byteLength(s) > 639 ? s.slice(0, 300) : s;
}

function generateOne(R) {
  const network = R.pick(Object.keys(NETWORKS));
  const { priv, pub } = randomKey(R);
  const amount = randomAmountMsat(R);
  const timestamp = R.chance(0.8) ? R.int(1500000000, 1900000000) : R.pick([0, 1, 2 ** 35 - 1, R.int(0, 2 ** 32 - 1) * 8 + R.int(0, 7)]);
  const tags = [];
  const paymentHash = R.hex(32);
  tags.push({ tagName: 'payment_hash', data: paymentHash });
  const paymentSecret = R.chance(0.85) ? R.hex(32) : null;
  if (paymentSecret) tags.push({ tagName: 'payment_secret', data: paymentSecret });

  let description = null; let descriptionHash = null;
  if (R.chance(0.75)) { description = randomDescription(R); tags.push({ tagName: 'description', data: description }); } else { descriptionHash = R.hex(32); tags.push({ tagName: 'purpose_commit_hash', data: descriptionHash }); }

  let expiry = DEFAULT_EXPIRY;
  if (R.chance(0.7)) { expiry = R.pick([3600, R.int(1, 86400), R.int(1, 2592000), R.int(1, 2 ** 32 - 1)]); tags.push({ tagName: 'expire_time', data: expiry }); }
  let cltv = DEFAULT_CLTV;
  if (R.chance(0.7)) { cltv = R.pick([18, 40, 80, 144, R.int(1, 5000), R.int(1, 2 ** 24)]); tags.push({ tagName: 'min_final_cltv_expiry', data: cltv }); }

  // feature bits (9 field)
  let features = [];
  if (paymentSecret || R.chance(0.5)) {
    const bits = new Set();
    if (R.chance(0.8)) bits.add(R.pick([8, 9]));
    if (paymentSecret) bits.add(R.pick([14, 15]));
    if (R.chance(0.4)) bits.add(R.pick([16, 17]));
    for (let i = R.int(0, 3); i > 0; i--) { const b = R.pick([R.int(0, 40), R.int(0, 260)]) | 1; if (!bits.has(b - 1)) bits.add(b); }
    features = [...bits].sort((a, b) => a - b);
    const fb = {}; const extra = [];
    for (const b of features) {
      if (b < 20) { const name = FEATUREBIT_ORDER[b >> 1]; fb[name] = fb[name] || { required: false, supported: false }; fb[name][b % 2 ? 'supported' : 'required'] = true; } else extra[b - 20] = true;
    }
    if (extra.length) fb.extra_bits = { start_bit: 20, bits: Array.from(extra, (x) => !!x) };
    tags.push({ tagName: 'feature_bits', data: fb });
  }

  if (R.chance(0.3)) tags.push({ tagName: 'payee_node_key', data: pub });

  const expOf = new Map(); // tag object -> its expect value (r and f lists keep the invoice's field order)
  for (let r = R.chance(0.5) ? R.int(1, 2) : 0; r > 0; r--) {
    const hops = [];
    for (let h = R.int(1, 3); h > 0; h--) {
      const block = R.chance(0.8) ? R.int(500000, 900000) : R.int(0, 2 ** 24 - 1);
      const tx = R.chance(0.8) ? R.int(0, 4000) : R.int(0, 2 ** 24 - 1);
      const out = R.chance(0.8) ? R.int(0, 10) : R.int(0, 65535);
      const scid = Buffer.alloc(8); scid.writeUIntBE(block, 0, 3); scid.writeUIntBE(tx, 3, 3); scid.writeUInt16BE(out, 6);
      hops.push({
        pubkey: randomKey(R).pub, short_channel_id: scid.toString('hex'),
        fee_base_msat: R.chance(0.7) ? R.int(0, 5000) : R.int(0, 2 ** 32 - 1),
        fee_proportional_millionths: R.chance(0.7) ? R.int(0, 5000) : R.int(0, 2 ** 32 - 1),
        cltv_expiry_delta: R.chance(0.7) ? R.int(0, 200) : R.int(0, 65535),
      });
    }
    const tag = { tagName: 'routing_info', data: hops };
    tags.push(tag);
    expOf.set(tag, hops.map((h) => ({ ...h, short_channel_id: scidString(h.short_channel_id) })));
  }

  for (let f = R.chance(0.25) ? R.int(1, 2) : 0; f > 0; f--) {
    const [code, len] = R.pick([[0, 20], [0, 32], [1, 32], [17, 20], [18, 20]]);
    const hash = R.hex(len);
    const tag = { tagName: 'fallback_address', data: { code, addressHash: hash } }; // code+hash: no hrp involved
    tags.push(tag);
    expOf.set(tag, fallbackAddress(network, code, hash));
  }

  R.shuffle(tags);
  const expected = (name) => tags.filter((t) => t.tagName === name).map((t) => expOf.get(t));
  const unsigned = bolt11.encode({ network: NETWORKS[network], timestamp, millisatoshis: amount === null ? undefined : amount.toString(), tags }, false);
  let invoice = bolt11.sign(unsigned, priv.toString('hex')).paymentRequest;
  if (R.chance(0.1)) invoice = invoice.toUpperCase();
  return {
    invoice,
    private_key_hex: priv.toString('hex'),
    expect: {
      network, amount_msat: amount === null ? null : amount.toString(), timestamp, expiry,
      payment_hash: paymentHash, payment_secret: paymentSecret, description, description_hash: descriptionHash,
      payee: pub, min_final_cltv_expiry: cltv, features, route_hints: expected('routing_info'), fallback_addresses: expected('fallback_address'),
    },
  };
}

// ---- decode ----
function networkOf(invoice) {
  const m = /^ln(bcrt|bc|tbs|tb)(?=[0-9])/.exec(invoice.toLowerCase());
  return m ? Object.keys(NETWORKS).find((k) => NETWORKS[k].bech32 === m[1]) : undefined;
}
function decodeOne(invoice) {
  const net = networkOf(invoice);
  const d = bolt11.decode(invoice, net && NETWORKS[net]);
  const network = net || { sb: 'simnet' }[d.network.bech32] || d.network.bech32;
  const all = (name) => d.tags.filter((t) => t.tagName === name).map((t) => t.data);
  const first = (name, dflt) => { const v = all(name); return v.length ? v[0] : dflt; };
  const features = [];
  const fb = first('feature_bits');
  if (fb) {
    FEATUREBIT_ORDER.forEach((name, i) => { if (fb[name].required) features.push(2 * i); if (fb[name].supported) features.push(2 * i + 1); });
    fb.extra_bits.bits.forEach((set, j) => { if (set) features.push(fb.extra_bits.start_bit + j); });
  }
  return {
    network, amount_msat: d.millisatoshis ?? null, timestamp: d.timestamp,
    expiry: first('expire_time', DEFAULT_EXPIRY), payment_hash: first('payment_hash', null),
    payment_secret: first('payment_secret', null), description: first('description', null),
    description_hash: first('purpose_commit_hash', null), payee: d.payeeNodeKey,
    min_final_cltv_expiry: first('min_final_cltv_expiry', DEFAULT_CLTV), features: features.sort((a, b) => a - b),
    route_hints: all('routing_info').map((hops) => hops.map((h) => ({ ...h, short_channel_id: scidString(h.short_channel_id) }))),
    fallback_addresses: all('fallback_address').map((f) => (network in ADDR_HRP ? fallbackAddress(network, f.code, f.addressHash) : f.address)),
    // The package recovers the payee key from the signature; it only *checks* it when an n field is present
    // (a mismatch throws). Without n there is nothing to check: null = "the package does not tell".
    signature_valid: all('payee_node_key').length ? true : null,
  };
}
const tryDecode = (invoice) => {
  try { return { ok: true, invoice, decoded: decodeOne(invoice) }; } catch (e) { return { ok: false, invoice, error: String(e.message || e) }; }
};

// ---- main ----
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; }); // e.g. `| head`
function seeded(arg) {
  const seed = arg === undefined ? randomInt(2 ** 32) : Number(arg) >>> 0;
  if (arg === undefined) process.stderr.write(`seed=${seed}\n`);
  return makeRng(seed);
}
const [cmd, nArg, seedArg] = process.argv.slice(2);
if (cmd === 'generate' || cmd === 'check') {
  const R = seeded(seedArg); const n = Number(nArg ?? 1);
  let pass = 0; let fail = 0;
  for (let i = 0; i < n; i++) {
    const g = generateOne(R);
    if (cmd === 'generate') { process.stdout.write(JSON.stringify(g) + '\n'); continue; }
    const r = tryDecode(g.invoice);
    const { signature_valid: _, ...got } = r.ok ? r.decoded : {};
    if (r.ok && JSON.stringify(got) === JSON.stringify(g.expect)) pass++; else { fail++; console.error(JSON.stringify({ generated: g, got: r })); }
  }
  if (cmd === 'check') { console.log(`${pass} passed, ${fail} failed`); process.exitCode = fail ? 1 : 0; }
} else if (cmd === 'decode') {
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    const inv = line.trim();
    if (inv) process.stdout.write(JSON.stringify(tryDecode(inv)) + '\n');
  }
} else {
  console.error('usage: node bolt11-tool.mjs generate N [SEED] | decode < invoices.txt | check N [SEED]');
  process.exitCode = 2;
}
