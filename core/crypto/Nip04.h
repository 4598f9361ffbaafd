#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

// NIP-04 encrypted direct messages: the legacy scheme, here only as a fallback for Nostr
// Wallet Connect services that predate NIP-44. AES-256-CBC with PKCS#7 padding; the key is the
// unhashed x coordinate of the ECDH point; the payload is "<base64 ciphertext>?iv=<base64 iv>".
//
// Nothing authenticates the ciphertext: the signature of the carrying event is the only
// integrity check, so verify the event first, and never tell a peer whether decryption failed
// (CBC padding errors are an oracle).
namespace l402::crypto {

namespace nip04_error {
inline constexpr auto kInvalidKey = "invalid_key";             // secret or public key
inline constexpr auto kInvalidArgument = "invalid_argument";   // iv size, plaintext too large
inline constexpr auto kInvalidPayload = "invalid_payload";     // format, base64, sizes
inline constexpr auto kDecryptionFailed = "decryption_failed"; // wrong key or bad padding
} // namespace nip04_error

namespace nip04 {

// Bounds the work one message can cause; NWC messages are a few hundred bytes.
inline constexpr qsizetype kMaxPlaintextSize = 1024 * 1024;

// Leave `iv` empty: 16 fresh bytes come from RAND_bytes. Tests may pass a fixed one.
Result<QString> encrypt(QByteArrayView plaintext, QByteArrayView secretKey,
                        QByteArrayView peerPublicKey, QByteArrayView iv = {});

// Returns the plaintext bytes (UTF-8 by convention).
Result<QByteArray> decrypt(QStringView payload, QByteArrayView secretKey,
                           QByteArrayView peerPublicKey);

} // namespace nip04
} // namespace l402::crypto
