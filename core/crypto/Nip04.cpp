#include "core/crypto/Nip04.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Schnorr.h"

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <utility>

namespace l402::crypto::nip04 {
namespace {

constexpr qsizetype kIvSize = 16;
constexpr qsizetype kBlockSize = 16;
constexpr QStringView kIvSeparator = u"?iv=";

template <typename T> Result<T> fail(const char* code, const char* message)
{
    return Result<T>::failure(QLatin1String(code), QLatin1String(message));
}

struct CipherContextDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};

// Standard alphabet, padded, canonical: what every NIP-04 implementation writes.
std::optional<QByteArray> decodeBase64(QStringView text)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (!((u >= u'A' && u <= u'Z') || (u >= u'a' && u <= u'z') || (u >= u'0' && u <= u'9') ||
              u == u'+' || u == u'/' || u == u'=')) {
            return std::nullopt;
        }
    }
    const QByteArray encoded = text.toLatin1();
    auto decoded = QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.toBase64() != encoded) {
        return std::nullopt;
    }
    return decoded.decoded;
}

// AES-256-CBC with PKCS#7 padding; nullopt when OpenSSL refuses (on decryption: bad padding).
std::optional<QByteArray> aes256Cbc(bool encrypting, QByteArrayView key, QByteArrayView iv,
                                    QByteArrayView input)
{
    const std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter> context(EVP_CIPHER_CTX_new());
    QByteArray output(input.size() + kBlockSize, Qt::Uninitialized);
    auto* out = reinterpret_cast<unsigned char*>(output.data());
    int written = 0;
    int finalWritten = 0;
    if (!context ||
        EVP_CipherInit_ex(context.get(), EVP_aes_256_cbc(), nullptr,
                          reinterpret_cast<const unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(iv.data()),
                          encrypting ? 1 : 0) != 1 ||
        EVP_CipherUpdate(context.get(), out, &written,
                         reinterpret_cast<const unsigned char*>(input.data()),
                         static_cast<int>(input.size())) != 1 ||
        EVP_CipherFinal_ex(context.get(), out + written, &finalWritten) != 1) {
        scrub(output);
        return std::nullopt;
    }
    output.truncate(written + finalWritten);
    return output;
}

} // namespace

Result<QString> encrypt(QByteArrayView plaintext, QByteArrayView secretKey,
                        QByteArrayView peerPublicKey, QByteArrayView iv)
{
    if (plaintext.size() > kMaxPlaintextSize) {
        return fail<QString>(nip04_error::kInvalidArgument, "The plaintext is too large.");
    }
    if (!iv.isEmpty() && iv.size() != kIvSize) {
        return fail<QString>(nip04_error::kInvalidArgument, "The IV must be 16 bytes.");
    }
    auto key = sharedSecretX(secretKey, peerPublicKey);
    if (!key) {
        return Result<QString>::failure(QLatin1String(nip04_error::kInvalidKey),
                                        key.error().message);
    }
    const QByteArray freshIv = iv.isEmpty() ? randomBytes(kIvSize) : QByteArray();
    const QByteArrayView usedIv = iv.isEmpty() ? QByteArrayView(freshIv) : iv;
    const auto ciphertext = aes256Cbc(true, key->view(), usedIv, plaintext);
    if (!ciphertext) {
        return fail<QString>(nip04_error::kInvalidArgument, "AES-256-CBC encryption failed.");
    }
    const QString payload = QString::fromLatin1(ciphertext->toBase64()) + kIvSeparator +
                            QString::fromLatin1(usedIv.toByteArray().toBase64());
    return payload;
}

Result<QByteArray> decrypt(QStringView payload, QByteArrayView secretKey,
                           QByteArrayView peerPublicKey)
{
    const qsizetype separator = payload.indexOf(kIvSeparator);
    if (separator < 0 || payload.indexOf(kIvSeparator, separator + 1) >= 0) {
        return fail<QByteArray>(nip04_error::kInvalidPayload,
                                "The payload is not \"<ciphertext>?iv=<iv>\".");
    }
    const auto ciphertext = decodeBase64(payload.first(separator));
    const auto iv = decodeBase64(payload.sliced(separator + kIvSeparator.size()));
    if (!ciphertext || !iv) {
        return fail<QByteArray>(nip04_error::kInvalidPayload, "The payload is not base64.");
    }
    if (iv->size() != kIvSize || ciphertext->isEmpty() || ciphertext->size() % kBlockSize != 0 ||
        ciphertext->size() > kMaxPlaintextSize + kBlockSize) {
        return fail<QByteArray>(nip04_error::kInvalidPayload,
                                "The ciphertext or the IV has an invalid size.");
    }
    auto key = sharedSecretX(secretKey, peerPublicKey);
    if (!key) {
        return Result<QByteArray>::failure(QLatin1String(nip04_error::kInvalidKey),
                                           key.error().message);
    }
    auto plaintext = aes256Cbc(false, key->view(), *iv, *ciphertext);
    if (!plaintext) {
        return fail<QByteArray>(nip04_error::kDecryptionFailed, "The payload does not decrypt.");
    }
    return std::move(*plaintext);
}

} // namespace l402::crypto::nip04
