#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace l402::crypto {

// Thin wrappers over OpenSSL's one-shot digests; every result is a fresh QByteArray.
QByteArray sha256(QByteArrayView data);
QByteArray hmacSha256(QByteArrayView key, QByteArrayView data);
QByteArray randomBytes(qsizetype count);

// Comparison whose duration does not depend on where the inputs differ (CRYPTO_memcmp).
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace l402::crypto
