#pragma once

#include "core/crypto/SecureBytes.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

// NIP-44 version 2 encrypted payloads, the encryption NIP-47 (Nostr Wallet Connect) uses:
// secp256k1 ECDH -> HKDF-SHA256 -> ChaCha20 + HMAC-SHA256 over padded plaintext, base64.
//
// Plaintexts are 1..65535 bytes with the 2-byte length prefix of the original v2
// specification, which the official test vectors pin. A later amendment to NIP-44 adds a
// 6-byte prefix (00 00 + u32) for longer plaintexts; we neither write nor read it: such
// payloads are refused (too large, or invalid padding). NWC messages are far below 64 KiB.
namespace l402::crypto {

namespace nip44_error {
inline constexpr auto kInvalidKey = "invalid_key";                      // secret or public key
inline constexpr auto kInvalidArgument = "invalid_argument";            // key/nonce sizes
inline constexpr auto kInvalidPlaintextSize = "invalid_plaintext_size"; // not 1..65535 bytes
inline constexpr auto kUnsupportedVersion = "unsupported_version";      // '#' or version byte != 2
inline constexpr auto kInvalidPayload = "invalid_payload";              // size, base64
inline constexpr auto kInvalidMac = "invalid_mac";
inline constexpr auto kInvalidPadding = "invalid_padding";
} // namespace nip44_error

namespace nip44 {

inline constexpr int kVersion = 2;
inline constexpr qsizetype kMinPlaintextSize = 1;
inline constexpr qsizetype kMaxPlaintextSize = 65535;

// The per-message keys HKDF-expand(conversation key, nonce, 76) splits into.
struct MessageKeys {
    SecureBytes chachaKey;   // 32 bytes
    SecureBytes chachaNonce; // 12 bytes
    SecureBytes hmacKey;     // 32 bytes
};

// HKDF-extract(salt "nip44-v2", shared x of ECDH(secretKey, peer x-only key)). The same for
// both parties, so compute it once per peer and keep it as a secret.
Result<SecureBytes> conversationKey(QByteArrayView secretKey, QByteArrayView peerPublicKey);

// `conversationKey` 32 bytes, `nonce` 32 bytes.
Result<MessageKeys> messageKeys(QByteArrayView conversationKey, QByteArrayView nonce);

// The size the padding scheme rounds a plaintext of `unpaddedLength` bytes up to (without the
// 2-byte length prefix); `unpaddedLength` >= 1.
qsizetype paddedLength(qsizetype unpaddedLength);

// Encrypts UTF-8 `plaintext` to the base64 payload. Leave `nonce` empty: 32 fresh bytes come
// from RAND_bytes. Tests pass a fixed nonce to reproduce published payloads; never reuse one.
Result<QString> encrypt(QByteArrayView plaintext, QByteArrayView conversationKey,
                        QByteArrayView nonce = {});

// Decrypts a payload with every check of the specification: version, payload and data sizes,
// canonical base64, MAC (constant time, before anything is decrypted) and padding. Returns the
// plaintext bytes (UTF-8 by the specification; the caller decides how strictly to decode).
Result<QByteArray> decrypt(QStringView payload, QByteArrayView conversationKey);

} // namespace nip44
} // namespace l402::crypto
