#!/usr/bin/python3
"""Macaroon cross-check tool built on Debian's python3-pymacaroons (see README.md).

  pymacaroons_tool.py generate N [SEED] -> N lines {version, root_key_hex, serialized, discharges, expect}
  pymacaroons_tool.py verify            -> stdin lines {root_key_hex, serialized, discharges?} -> {ok, ...}
  pymacaroons_tool.py check N [SEED]    -> generate + verify round trip, prints "N passed, N failed"

Runs with the Debian interpreter (/usr/bin/python3), where apt installs pymacaroons.
"""
import hashlib
import hmac
import json
import random
import sys

try:
    from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon, Verifier
except ImportError:
    sys.exit("pymacaroons missing: apt-get install python3-pymacaroons, and run with /usr/bin/python3")
import pymacaroons.caveat_delegates.first_party as _first_party

# pymacaroons decodes every first-party caveat as UTF-8 before calling the checkers, so a V2 macaroon
# with a binary first-party caveat (legal in V2; the npm tool makes some) fails with UnicodeDecodeError.
# Our checker accepts everything, so decode such caveats lossily; the HMAC chain still uses the raw bytes.
_first_party.convert_to_string = lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else b

SERVICES = ["svc", "api", "weather", "llm", "storage"]
LOCATIONS = ["https://api.example.com", "aperture", "http://localhost:8081/v1", "l402.example.org", "üñí.example"]


def hmac256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def expected_signature(root_key, identifier, caveats):
    """Independent HMAC-SHA256 chain (libmacaroons scheme), using the vids the package produced."""
    sig = hmac256(hmac256(b"macaroons-key-generator", root_key), identifier)
    for cid, vid in caveats:
        sig = hmac256(sig, hmac256(sig, vid) + hmac256(sig, cid)) if vid else hmac256(sig, cid)
    return sig


def rbytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def random_identifier(rng, version):
    kind = rng.randint(0, 3)
    if kind <= 1:  # L402: uint16 BE version 0 || payment hash || token id
        ident = b"\x00\x00" + rbytes(rng, 32) + rbytes(rng, 32)
        return ident if version == MACAROON_V2 else ident.hex().encode()  # V1 needs text: hex of it
    if kind == 2 and version == MACAROON_V2:
        return rbytes(rng, rng.randint(1, 80))
    return ("user-%d" % rng.randint(0, 10**9)).encode()


def random_first_party(rng):
    # pymacaroons only accepts UTF-8 first-party caveats (it decodes them when adding and verifying).
    s = rng.choice(SERVICES)
    return rng.choice([
        "services=%s:%d" % (s, rng.randint(0, 3)) + (",%s:%d" % (rng.choice(SERVICES), rng.randint(0, 3)) if rng.random() < 0.4 else ""),
        "%s_capabilities=%s" % (s, ",".join(["read", "write", "admin"][: rng.randint(1, 3)])),
        "%s_valid_until=%d" % (s, rng.randint(1600000000, 2000000000)),
        "%s_%s=%d" % (s, rng.choice(["timeout", "max_calls", "tier"]), rng.randint(0, 99999)),
        "time < 20%d-0%d-1%dT00:00:00Z" % (rng.randint(24, 40), rng.randint(1, 9), rng.randint(0, 9)),
        "note=%s" % rng.choice(["ünïcode ✓", "a=b=c", "spaces and\ttab"]),
    ]).encode()


def generate_one(rng):
    version = rng.choice([MACAROON_V1, MACAROON_V2])
    root_key = rbytes(rng, 32) if rng.random() < 0.8 else rbytes(rng, rng.randint(1, 64))
    identifier = random_identifier(rng, version)
    location = rng.choice(LOCATIONS) if rng.random() < 0.7 else None
    if version == MACAROON_V1 and location and not location.isascii():
        # pymacaroons' V1 serializer sizes the location packet in characters, not bytes: a
        # non-ASCII location yields a corrupt packet (pymacaroons 0.13.0 bug), so keep V1 ASCII.
        location = "example.com"
    m = Macaroon(location=location, identifier=identifier, key=root_key, version=version)
    kinds = [True] * rng.randint(0, 5) + [False] * (rng.randint(1, 2) if rng.random() < 0.35 else 0)
    rng.shuffle(kinds)
    third = []
    for first in kinds:
        if first:
            m.add_first_party_caveat(random_first_party(rng))
            continue
        key = rbytes(rng, 32)
        if version == MACAROON_V2 and rng.random() < 0.5:
            cid = rbytes(rng, rng.randint(8, 40))
        else:
            cid = ("3p-%d" % rng.randint(0, 10**9)).encode()
        loc = rng.choice(["https://auth.example.com", "https://discharge.example/3rd", "local"])
        m.add_third_party_caveat(loc, key, cid, nonce=rbytes(rng, 24))
        third.append((key, cid, loc))
    discharges = []
    for key, cid, loc in third:
        d = Macaroon(location=loc, identifier=cid, key=key, version=version)
        if rng.random() < 0.5:
            d.add_first_party_caveat(random_first_party(rng))
        discharges.append(m.prepare_for_request(d).serialize())
    caveats = [(c.caveat_id_bytes, c.verification_key_id) for c in m.caveats]
    return {
        "version": version,
        "root_key_hex": root_key.hex(),
        "serialized": m.serialize(),  # default BinarySerializer: URL-safe base64, no padding
        "discharges": discharges,
        "expect": {
            "location": location,
            "identifier_hex": identifier.hex(),
            "caveats": [{"id_hex": c.caveat_id_bytes.hex(),
                         "vid_hex": c.verification_key_id.hex() if c.verification_key_id else None,
                         "location": c.location or None} for c in m.caveats],
            "signature_hex": expected_signature(root_key, identifier, caveats).hex(),
        },
    }


def verify_one(req):
    m = Macaroon.deserialize(req["serialized"])
    out = {
        "ok": True,
        "version": m.version,
        "location": m.location or None,
        "identifier_hex": m.identifier_bytes.hex(),
        "caveats": [{"id_hex": c.caveat_id_bytes.hex(),
                     "vid_hex": c.verification_key_id.hex() if c.verification_key_id else None,
                     "location": c.location or None} for c in m.caveats],
        "signature_hex": m.signature_bytes.decode("ascii"),
        "verified": True,
    }
    try:
        v = Verifier()
        v.satisfy_general(lambda predicate: True)
        discharges = [Macaroon.deserialize(d) for d in req.get("discharges") or []]
        v.verify(m, bytes.fromhex(req["root_key_hex"]), discharges)
    except Exception as e:  # pymacaroons raises several exception types (and nacl's CryptoError)
        out["verified"] = False
        out["verify_error"] = "%s: %s" % (type(e).__name__, e)
    return out


def try_verify(req):
    try:
        return verify_one(req)
    except Exception as e:
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}


def seeded(arg):
    seed = random.SystemRandom().getrandbits(32) if arg is None else int(arg) & 0xFFFFFFFF
    if arg is None:
        print("seed=%d" % seed, file=sys.stderr)
    return random.Random(seed)


def main(argv):
    cmd = argv[0] if argv else None
    if cmd in ("generate", "check"):
        rng = seeded(argv[2] if len(argv) > 2 else None)
        passed = failed = 0
        for _ in range(int(argv[1]) if len(argv) > 1 else 1):
            g = generate_one(rng)
            if cmd == "generate":
                print(json.dumps(g, ensure_ascii=False))
                continue
            r = try_verify(g)
            wrong = try_verify(dict(g, root_key_hex=("1" if g["root_key_hex"][0] == "0" else "0") + g["root_key_hex"][1:]))
            got = {k: v for k, v in r.items() if k not in ("ok", "verified", "verify_error", "version")}
            if r["ok"] and r["verified"] and r["version"] == g["version"] and wrong["ok"] and not wrong["verified"] and got == g["expect"]:
                passed += 1
            else:
                failed += 1
                print(json.dumps({"generated": g, "got": r, "wrong_key": wrong}), file=sys.stderr)
        if cmd == "check":
            print("%d passed, %d failed" % (passed, failed))
            return 1 if failed else 0
        return 0
    if cmd == "verify":
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
            except ValueError as e:
                print(json.dumps({"ok": False, "error": "bad JSON input: %s" % e}))
                continue
            print(json.dumps(try_verify(req), ensure_ascii=False))
        return 0
    print("usage: pymacaroons_tool.py generate N [SEED] | verify < requests.jsonl | check N [SEED]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
