#!/usr/bin/env node
// Macaroon (V2 binary) cross-check tool built on the npm `macaroon` package (see README.md).
//   node macaroon-tool.mjs generate N [SEED] -> N lines {root_key_hex, serialized, discharges, expect}
//   node macaroon-tool.mjs verify            -> stdin lines {root_key_hex, serialized, discharges?} -> {ok, ...}
//   node macaroon-tool.mjs check N [SEED]    -> generate + verify round trip, prints "N passed, N failed"
import { createRequire } from 'node:module';
import { createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const macaroon = require('macaroon');
// The package's own copies of its dependencies (same module instances it uses):
const depRequire = createRequire(require.resolve('macaroon'));
const nacl = depRequire('tweetnacl'); // nonces for third-party caveat vids come from nacl.randomBytes
const sjcl = depRequire('sjcl');

// The package hands every first-party caveat to the checker as a UTF-8 string and throws
// "URI malformed" on non-UTF-8 bytes before the checker runs. Our checker accepts everything,
// so decode such caveats lossily instead; the HMAC chain still uses the raw bytes.
const utf8FromBits = sjcl.codec.utf8String.fromBits;
sjcl.codec.utf8String.fromBits = (bits) => {
  try { return utf8FromBits(bits); } catch { return Buffer.from(sjcl.codec.hex.fromBits(bits), 'hex').toString('latin1'); }
};

// macaroon@3.0.4 (latest on npm) still has the ByteBuffer bug fixed upstream after that release
// (go-macaroon/js-macaroon#40/#41): _grow() compares against the never-set this._capacity, so every
// append doubles the buffer and exportBinary() dies with "Invalid typed array length" past ~3 caveats.
// The class isn't exported, so supply the missing property where the lookup ends: a non-enumerable
// getter that only answers for ByteBuffer-shaped objects.
Object.defineProperty(Object.prototype, '_capacity', {
  get() { return this._buf instanceof Uint8Array && typeof this._length === 'number' ? this._buf.length : undefined; },
  configurable: true,
});

// ---- seeded PRNG (mulberry32) ----
function makeRng(seed) {
  let a = seed >>> 0;
  const f = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const R = {
    int: (lo, hi) => lo + Math.floor(f() * (hi - lo + 1)),
    chance: (p) => f() < p,
    pick: (arr) => arr[Math.floor(f() * arr.length)],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(f() * 256))),
  };
  return R;
}

// ---- independent signature computation (HMAC-SHA256 chain, libmacaroons scheme) ----
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
function expectedSignature(rootKey, identifier, caveats) {
  let sig = hmac(hmac(Buffer.from('macaroons-key-generator'), rootKey), identifier);
  for (const c of caveats) {
    sig = c.vid ? hmac(sig, Buffer.concat([hmac(sig, c.vid), hmac(sig, c.id)])) : hmac(sig, c.id);
  }
  return sig;
}

// ---- generate ----
const SERVICES = ['svc', 'api', 'weather', 'llm', 'storage'];
const LOCATIONS = ['https://api.example.com', 'aperture', 'http://localhost:8081/v1', 'l402.example.org', 'üñí.example'];
function randomIdentifier(R) {
  const kind = R.int(0, 3);
  if (kind <= 1) return Buffer.concat([Buffer.from([0, 0]), R.bytes(32), R.bytes(32)]); // L402: version 0, payment hash, token id
  if (kind === 2) return R.bytes(R.int(1, 80));
  return Buffer.from(`user-${R.int(0, 1e9)}`);
}
function randomFirstParty(R) {
  const s = R.pick(SERVICES);
  switch (R.int(0, 5)) {
    case 0: return Buffer.from(`services=${s}:${R.int(0, 3)}${R.chance(0.4) ? `,${R.pick(SERVICES)}:${R.int(0, 3)}` : ''}`);
    case 1: return Buffer.from(`${s}_capabilities=${['read', 'write', 'admin'].slice(0, R.int(1, 3)).join(',')}`);
    case 2: return Buffer.from(`${s}_valid_until=${R.int(1600000000, 2000000000)}`);
    case 3: return Buffer.from(`${s}_${R.pick(['timeout', 'max_calls', 'tier'])}=${R.int(0, 99999)}`);
    case 4: return Buffer.from(`time < 20${R.int(24, 40)}-0${R.int(1, 9)}-1${R.int(0, 9)}T00:00:00Z`);
    default: return R.bytes(R.int(1, 48)); // raw bytes, often not UTF-8
  }
}
const toB64 = (bytes, R) => {
  let s = Buffer.from(bytes).toString('base64');
  if (R.chance(0.5)) s = s.replace(/\+/g, '-').replace(/\//g, '_');
  return R.chance(0.5) ? s.replace(/=+$/, '') : s;
};

function generateOne(R) {
  const rootKey = R.chance(0.8) ? R.bytes(32) : R.bytes(R.int(1, 64));
  const identifier = randomIdentifier(R);
  const location = R.chance(0.7) ? R.pick(LOCATIONS) : null;
  const m = macaroon.newMacaroon({ identifier, location: location ?? undefined, rootKey });
  const nFirst = R.int(0, 5); const nThird = R.chance(0.35) ? R.int(1, 2) : 0;
  const kinds = Array.from({ length: nFirst + nThird }, (_, i) => i < nFirst);
  for (let i = kinds.length - 1; i > 0; i--) { const j = R.int(0, i); [kinds[i], kinds[j]] = [kinds[j], kinds[i]]; }
  const thirdParty = [];
  for (const first of kinds) {
    if (first) { m.addFirstPartyCaveat(randomFirstParty(R)); continue; }
    const key = R.bytes(32); const cid = R.chance(0.5) ? R.bytes(R.int(8, 40)) : Buffer.from(`3p-${R.int(0, 1e9)}`);
    const loc = R.pick(['https://auth.example.com', 'https://discharge.example/3rd', 'local']);
    m.addThirdPartyCaveat(key, cid, loc);
    thirdParty.push({ key, cid, loc });
  }
  const caveats = m.caveats.map((c) => ({ id: Buffer.from(c.identifier), vid: c.vid ? Buffer.from(c.vid) : null, location: c.location || null }));
  // Discharge macaroons for the third-party caveats, bound to the primary's signature.
  const discharges = thirdParty.map(({ key, cid, loc }) => {
    const d = macaroon.newMacaroon({ identifier: cid, location: loc, rootKey: key });
    if (R.chance(0.5)) d.addFirstPartyCaveat(randomFirstParty(R));
    d.bindToRoot(m.signature);
    return toB64(d.exportBinary(), R);
  });
  return {
    root_key_hex: rootKey.toString('hex'),
    serialized: toB64(m.exportBinary(), R),
    discharges,
    expect: {
      location,
      identifier_hex: identifier.toString('hex'),
      caveats: caveats.map((c) => ({ id_hex: c.id.toString('hex'), vid_hex: c.vid ? c.vid.toString('hex') : null, location: c.location })),
      signature_hex: expectedSignature(rootKey, identifier, caveats).toString('hex'),
    },
  };
}

// ---- verify ----
const hex = (u8) => Buffer.from(u8).toString('hex');
function verifyOne(req) {
  const m = macaroon.importMacaroon(req.serialized);
  const out = {
    ok: true,
    location: m.location || null,
    identifier_hex: hex(m.identifier),
    caveats: m.caveats.map((c) => ({ id_hex: hex(c.identifier), vid_hex: c.vid ? hex(c.vid) : null, location: c.location || null })),
    signature_hex: hex(m.signature),
    verified: true,
  };
  try {
    const discharges = (req.discharges || []).map((d) => macaroon.importMacaroon(d));
    m.verify(Buffer.from(req.root_key_hex, 'hex'), () => null, discharges);
  } catch (e) { out.verified = false; out.verify_error = String(e.message || e); }
  return out;
}
const tryVerify = (req) => { try { return verifyOne(req); } catch (e) { return { ok: false, error: String(e.message || e) }; } };

// ---- main ----
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; }); // e.g. `| head`
function seeded(arg) {
  const seed = arg === undefined ? randomInt(2 ** 32) : Number(arg) >>> 0;
  if (arg === undefined) process.stderr.write(`seed=${seed}\n`);
  const R = makeRng(seed);
  nacl.setPRNG((x, n) => x.set(R.bytes(n))); // reproducible vid nonces
  return R;
}
const [cmd, nArg, seedArg] = process.argv.slice(2);
if (cmd === 'generate' || cmd === 'check') {
  const R = seeded(seedArg); const n = Number(nArg ?? 1);
  let pass = 0; let fail = 0;
  for (let i = 0; i < n; i++) {
    const g = generateOne(R);
    if (cmd === 'generate') { process.stdout.write(JSON.stringify(g) + '\n'); continue; }
    const r = tryVerify(g);
    const bad = tryVerify({ ...g, root_key_hex: g.root_key_hex.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
    const { ok, verified, verify_error: _, ...got } = r;
    if (ok && verified && bad.ok && !bad.verified && JSON.stringify(got) === JSON.stringify(g.expect)) pass++;
    else { fail++; console.error(JSON.stringify({ generated: g, got: r, wrong_key: bad })); }
  }
  if (cmd === 'check') { console.log(`${pass} passed, ${fail} failed`); process.exitCode = fail ? 1 : 0; }
} else if (cmd === 'verify') {
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let req;
    try { req = JSON.parse(line); } catch (e) { process.stdout.write(JSON.stringify({ ok: false, error: `bad JSON input: ${e.message}` }) + '\n'); continue; }
    process.stdout.write(JSON.stringify(tryVerify(req)) + '\n');
  }
} else {
  console.error('usage: node macaroon-tool.mjs generate N [SEED] | verify < requests.jsonl | check N [SEED]');
  process.exitCode = 2;
}
