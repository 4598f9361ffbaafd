#pragma once

#include "core/crypto/SecureBytes.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace l402::crypto {

// BIP340 Schnorr signatures and x-only keys over secp256k1, as Nostr uses them (NIP-01):
// 32-byte secret keys, 32-byte x-only public keys (the point with even y), 64-byte
// signatures. Built on libsecp256k1's extrakeys, schnorrsig and ecdh modules.

namespace schnorr_error {
inline constexpr auto kInvalidSecretKey = "invalid_secret_key"; // not 32 bytes in [1, n-1]
inline constexpr auto kInvalidPublicKey = "invalid_public_key"; // not an x on the curve
inline constexpr auto kInvalidArgument = "invalid_argument";    // aux randomness not 32 bytes
} // namespace schnorr_error

// The x-only public key of `secretKey`.
Result<QByteArray> xOnlyPublicKey(QByteArrayView secretKey);

// True when `publicKey` is 32 bytes and the x coordinate of a curve point (x < p, and
// x^3 + 7 has a square root).
bool isValidXOnlyPublicKey(QByteArrayView publicKey);

// Signs `message`: Nostr signs 32-byte event ids; BIP340 allows any length, and the published
// vectors include a few. `auxRandomness` is BIP340's aux_rand (32 bytes): leave it empty and
// 32 fresh bytes come from RAND_bytes, which is what every real signature should do; tests
// pass fixed bytes to reproduce the published signatures.
Result<QByteArray> schnorrSign(QByteArrayView secretKey, QByteArrayView message,
                               QByteArrayView auxRandomness = {});

// True when `signature` (64 bytes) is a valid BIP340 signature of `message` by the x-only
// `publicKey`. Malformed inputs are simply invalid.
bool schnorrVerify(QByteArrayView publicKey, QByteArrayView message, QByteArrayView signature);

// Elliptic-curve Diffie-Hellman with an x-only public key: the x coordinate of
// secretKey * lift_x(peerPublicKey), unhashed (32 bytes). NIP-04 uses it directly as the AES
// key and NIP-44 feeds it to HKDF. Lifting to the even-y point loses nothing: -P gives the
// same x.
Result<SecureBytes> sharedSecretX(QByteArrayView secretKey, QByteArrayView peerPublicKey);

} // namespace l402::crypto
