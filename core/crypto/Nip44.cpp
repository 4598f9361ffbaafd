#include "core/crypto/Nip44.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Schnorr.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace l402::crypto::nip44 {
namespace {

constexpr qsizetype kKeySize = 32;
constexpr qsizetype kNonceSize = 32;
constexpr qsizetype kMacSize = 32;
constexpr qsizetype kChachaNonceSize = 12;
constexpr qsizetype kMessageKeysSize = kKeySize + kChachaNonceSize + kKeySize; // 76
// The specification's bounds on the base64 payload and on the decoded data: the smallest
// message (1 byte padded to 32, 2-byte prefix) and the largest (65535 padded to 65536).
constexpr qsizetype kMinPayloadSize = 132;
constexpr qsizetype kMaxPayloadSize = 87472;
constexpr qsizetype kMinDataSize = 99;
constexpr qsizetype kMaxDataSize = 65603;
constexpr QByteArrayView kSalt = "nip44-v2";

template <typename T> Result<T> fail(const char* code, const char* message)
{
    return Result<T>::failure(QLatin1String(code), QLatin1String(message));
}

struct KdfContextDeleter {
    void operator()(EVP_KDF_CTX* context) const { EVP_KDF_CTX_free(context); }
};
struct CipherContextDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};

// OpenSSL 3's HKDF (RFC 5869) with SHA-256, in extract-only or expand-only mode.
// `input` is the IKM (extract) or the PRK (expand); `saltOrInfo` is the salt or the info.
SecureBytes hkdf(int mode, QByteArrayView input, QByteArrayView saltOrInfo, qsizetype length)
{
    // Fetching is costly and the fetched object is immutable, so it is fetched once.
    static EVP_KDF* const algorithm = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    const std::unique_ptr<EVP_KDF_CTX, KdfContextDeleter> context(
        algorithm ? EVP_KDF_CTX_new(algorithm) : nullptr);
    if (!context) {
        throw std::runtime_error("HKDF is not available from OpenSSL");
    }
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(input.data()),
                                          static_cast<size_t>(input.size())),
        OSSL_PARAM_construct_octet_string(
            mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
            const_cast<char*>(saltOrInfo.data()), static_cast<size_t>(saltOrInfo.size())),
        OSSL_PARAM_construct_end()};
    std::array<unsigned char, kMessageKeysSize> out{};
    if (length > kMessageKeysSize ||
        EVP_KDF_derive(context.get(), out.data(), static_cast<size_t>(length), params) != 1) {
        throw std::runtime_error("HKDF derivation failed");
    }
    SecureBytes result(QByteArrayView(out.data(), length));
    OPENSSL_cleanse(out.data(), out.size());
    return result;
}

// ChaCha20 (RFC 8439) with a 12-byte nonce and the block counter starting at 0. OpenSSL's
// EVP_chacha20 takes a 16-byte IV: the 32-bit little-endian counter, then the nonce.
QByteArray chacha20(const MessageKeys& keys, QByteArrayView input)
{
    std::array<unsigned char, 16> iv{};
    std::memcpy(iv.data() + 4, keys.chachaNonce.data(), kChachaNonceSize);
    const std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter> context(EVP_CIPHER_CTX_new());
    QByteArray output(input.size(), Qt::Uninitialized);
    int written = 0;
    if (!context ||
        EVP_EncryptInit_ex(context.get(), EVP_chacha20(), nullptr,
                           reinterpret_cast<const unsigned char*>(keys.chachaKey.data()),
                           iv.data()) != 1 ||
        EVP_EncryptUpdate(context.get(), reinterpret_cast<unsigned char*>(output.data()), &written,
                          reinterpret_cast<const unsigned char*>(input.data()),
                          static_cast<int>(input.size())) != 1 ||
        written != input.size()) {
        throw std::runtime_error("ChaCha20 failed");
    }
    return output;
}

// HMAC-SHA256 with the nonce as associated data: HMAC(key, nonce || ciphertext).
QByteArray authenticate(const MessageKeys& keys, QByteArrayView nonce, QByteArrayView ciphertext)
{
    QByteArray message;
    message.reserve(nonce.size() + ciphertext.size());
    message.append(nonce);
    message.append(ciphertext);
    return hmacSha256(keys.hmacKey.view(), message);
}

bool isBase64Character(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'A' && u <= u'Z') || (u >= u'a' && u <= u'z') || (u >= u'0' && u <= u'9') ||
           u == u'+' || u == u'/' || u == u'=';
}

} // namespace

Result<SecureBytes> conversationKey(QByteArrayView secretKey, QByteArrayView peerPublicKey)
{
    auto shared = sharedSecretX(secretKey, peerPublicKey);
    if (!shared) {
        return Result<SecureBytes>::failure(QLatin1String(nip44_error::kInvalidKey),
                                            shared.error().message);
    }
    return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, shared->view(), kSalt, kKeySize);
}

Result<MessageKeys> messageKeys(QByteArrayView conversationKey, QByteArrayView nonce)
{
    if (conversationKey.size() != kKeySize || nonce.size() != kNonceSize) {
        return fail<MessageKeys>(nip44_error::kInvalidArgument,
                                 "The conversation key and the nonce must be 32 bytes each.");
    }
    const SecureBytes keys =
        hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, conversationKey, nonce, kMessageKeysSize);
    const QByteArrayView all = keys.view();
    return MessageKeys{SecureBytes(all.sliced(0, kKeySize)),
                       SecureBytes(all.sliced(kKeySize, kChachaNonceSize)),
                       SecureBytes(all.sliced(kKeySize + kChachaNonceSize, kKeySize))};
}

qsizetype paddedLength(qsizetype unpaddedLength)
{
    if (unpaddedLength <= 32) {
        return 32;
    }
    // next_power = 2^(floor(log2(len - 1)) + 1)
    const qsizetype nextPower = qsizetype(1)
                                << std::bit_width(static_cast<quint64>(unpaddedLength - 1));
    const qsizetype chunk = nextPower <= 256 ? 32 : nextPower / 8;
    return chunk * ((unpaddedLength - 1) / chunk + 1);
}

Result<QString> encrypt(QByteArrayView plaintext, QByteArrayView conversationKey,
                        QByteArrayView nonce)
{
    if (plaintext.size() < kMinPlaintextSize || plaintext.size() > kMaxPlaintextSize) {
        return fail<QString>(nip44_error::kInvalidPlaintextSize,
                             "NIP-44 encrypts 1 to 65535 bytes of plaintext.");
    }
    if (!nonce.isEmpty() && nonce.size() != kNonceSize) {
        return fail<QString>(nip44_error::kInvalidArgument, "The nonce must be 32 bytes.");
    }
    const QByteArray freshNonce = nonce.isEmpty() ? randomBytes(kNonceSize) : QByteArray();
    const QByteArrayView usedNonce = nonce.isEmpty() ? QByteArrayView(freshNonce) : nonce;
    auto keys = messageKeys(conversationKey, usedNonce);
    if (!keys) {
        return keys.error();
    }

    // [u16 big-endian length][plaintext][zeros up to paddedLength]
    const qsizetype size = plaintext.size();
    QByteArray padded(2 + paddedLength(size), '\0');
    padded[0] = static_cast<char>((size >> 8) & 0xff);
    padded[1] = static_cast<char>(size & 0xff);
    std::memcpy(padded.data() + 2, plaintext.data(), static_cast<size_t>(size));
    const QByteArray ciphertext = chacha20(*keys, padded);
    scrub(padded);

    QByteArray data;
    data.reserve(1 + kNonceSize + ciphertext.size() + kMacSize);
    data.append(static_cast<char>(kVersion));
    data.append(usedNonce);
    data.append(ciphertext);
    data.append(authenticate(*keys, usedNonce, ciphertext));
    return QString::fromLatin1(data.toBase64());
}

Result<QByteArray> decrypt(QStringView payload, QByteArrayView conversationKey)
{
    if (conversationKey.size() != kKeySize) {
        return fail<QByteArray>(nip44_error::kInvalidArgument,
                                "The conversation key must be 32 bytes.");
    }
    const qsizetype payloadSize = payload.size();
    if (payloadSize == 0) {
        return fail<QByteArray>(nip44_error::kInvalidPayload, "The payload is empty.");
    }
    if (payload.front() == u'#') {
        return fail<QByteArray>(nip44_error::kUnsupportedVersion,
                                "The payload uses an unsupported encryption version.");
    }
    if (payloadSize < kMinPayloadSize || payloadSize > kMaxPayloadSize) {
        return fail<QByteArray>(nip44_error::kInvalidPayload, "The payload has an invalid size.");
    }
    for (const QChar c : payload) {
        if (!isBase64Character(c)) {
            return fail<QByteArray>(nip44_error::kInvalidPayload, "The payload is not base64.");
        }
    }
    const QByteArray encoded = payload.toLatin1();
    auto decoded = QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
    // Only the canonical (padded, zero tail bits) encoding of the data is accepted, so one
    // message has one payload.
    if (!decoded || decoded.decoded.toBase64() != encoded) {
        return fail<QByteArray>(nip44_error::kInvalidPayload, "The payload is not base64.");
    }
    const QByteArray& data = decoded.decoded;
    if (data.size() < kMinDataSize || data.size() > kMaxDataSize) {
        return fail<QByteArray>(nip44_error::kInvalidPayload,
                                "The decoded payload has an invalid size.");
    }
    if (static_cast<unsigned char>(data.at(0)) != kVersion) {
        return fail<QByteArray>(nip44_error::kUnsupportedVersion,
                                "The payload uses an unsupported encryption version.");
    }
    const QByteArrayView all(data);
    const QByteArrayView nonce = all.sliced(1, kNonceSize);
    const QByteArrayView ciphertext =
        all.sliced(1 + kNonceSize, all.size() - 1 - kNonceSize - kMacSize);
    const QByteArrayView mac = all.last(kMacSize);

    auto keys = messageKeys(conversationKey, nonce);
    if (!keys) {
        return keys.error();
    }
    if (!constantTimeEquals(authenticate(*keys, nonce, ciphertext), mac)) {
        return fail<QByteArray>(nip44_error::kInvalidMac,
                                "The payload failed authentication (wrong key or altered).");
    }
    QByteArray padded = chacha20(*keys, ciphertext);
    const qsizetype size = (qsizetype(static_cast<unsigned char>(padded.at(0))) << 8) |
                           static_cast<unsigned char>(padded.at(1));
    // paddedLength(size) >= size, so a matching total also keeps the slice in bounds.
    if (size < kMinPlaintextSize || padded.size() != 2 + paddedLength(size)) {
        scrub(padded);
        return fail<QByteArray>(nip44_error::kInvalidPadding, "The payload has invalid padding.");
    }
    QByteArray plaintext = padded.sliced(2, size);
    scrub(padded);
    return plaintext;
}

} // namespace l402::crypto::nip44
