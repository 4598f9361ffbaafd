#include "core/crypto/Secp256k1.h"

#include "core/crypto/Digest.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

namespace l402::crypto {
namespace {

const unsigned char* bytes(QByteArrayView view)
{
    return reinterpret_cast<const unsigned char*>(view.data());
}

// One context for the process; libsecp256k1 contexts are safe to share for const operations.
// Signing uses a randomized context as the library recommends against side channels.
const secp256k1_context* context()
{
    static secp256k1_context* const ctx = [] {
        secp256k1_context* created = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        const QByteArray seed = randomBytes(32);
        // Randomization only hardens against side channels; a failure leaves a working context.
        [[maybe_unused]] const int randomized = secp256k1_context_randomize(created, bytes(seed));
        return created;
    }();
    return ctx;
}

QByteArray serializeCompressed(const secp256k1_pubkey& key)
{
    QByteArray out(33, Qt::Uninitialized);
    size_t length = 33;
    secp256k1_ec_pubkey_serialize(context(), reinterpret_cast<unsigned char*>(out.data()), &length,
                                  &key, SECP256K1_EC_COMPRESSED);
    return out;
}

} // namespace

Result<QByteArray> recoverPublicKey(QByteArrayView digest, QByteArrayView compactSignature,
                                    int recoveryId)
{
    if (digest.size() != 32 || compactSignature.size() != 64 || recoveryId < 0 || recoveryId > 3) {
        return Result<QByteArray>::failure(QStringLiteral("invalid_signature"),
                                           QStringLiteral("The signature has the wrong size."));
    }
    secp256k1_ecdsa_recoverable_signature signature;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &signature,
                                                             bytes(compactSignature), recoveryId)) {
        return Result<QByteArray>::failure(QStringLiteral("invalid_signature"),
                                           QStringLiteral("The signature is malformed."));
    }
    secp256k1_pubkey key;
    if (!secp256k1_ecdsa_recover(context(), &key, &signature, bytes(digest))) {
        return Result<QByteArray>::failure(
            QStringLiteral("invalid_signature"),
            QStringLiteral("The signature does not recover to a public key."));
    }
    return serializeCompressed(key);
}

bool verifySignature(QByteArrayView digest, QByteArrayView compactSignature,
                     QByteArrayView publicKey)
{
    if (digest.size() != 32 || compactSignature.size() != 64) {
        return false;
    }
    secp256k1_pubkey key;
    if (!secp256k1_ec_pubkey_parse(context(), &key, bytes(publicKey),
                                   static_cast<size_t>(publicKey.size()))) {
        return false;
    }
    secp256k1_ecdsa_signature signature;
    if (!secp256k1_ecdsa_signature_parse_compact(context(), &signature, bytes(compactSignature))) {
        return false;
    }
    // secp256k1_ecdsa_verify accepts only lower-S signatures, as BOLT 11 requires with `n`.
    return secp256k1_ecdsa_verify(context(), &signature, bytes(digest), &key) == 1;
}

bool isValidPublicKey(QByteArrayView publicKey)
{
    secp256k1_pubkey key;
    return publicKey.size() == 33 &&
           secp256k1_ec_pubkey_parse(context(), &key, bytes(publicKey), 33) == 1;
}

Result<RecoverableSignature> signRecoverable(QByteArrayView privateKey, QByteArrayView digest)
{
    if (privateKey.size() != 32 || digest.size() != 32 ||
        !secp256k1_ec_seckey_verify(context(), bytes(privateKey))) {
        return Result<RecoverableSignature>::failure(QStringLiteral("invalid_key"),
                                                     QStringLiteral("The private key is invalid."));
    }
    secp256k1_ecdsa_recoverable_signature signature;
    if (!secp256k1_ecdsa_sign_recoverable(context(), &signature, bytes(digest), bytes(privateKey),
                                          nullptr, nullptr)) {
        return Result<RecoverableSignature>::failure(QStringLiteral("invalid_key"),
                                                     QStringLiteral("Signing failed."));
    }
    RecoverableSignature out;
    out.compact = QByteArray(64, Qt::Uninitialized);
    secp256k1_ecdsa_recoverable_signature_serialize_compact(
        context(), reinterpret_cast<unsigned char*>(out.compact.data()), &out.recoveryId,
        &signature);
    return out;
}

Result<QByteArray> publicKeyFromPrivate(QByteArrayView privateKey)
{
    secp256k1_pubkey key;
    if (privateKey.size() != 32 ||
        !secp256k1_ec_pubkey_create(context(), &key, bytes(privateKey))) {
        return Result<QByteArray>::failure(QStringLiteral("invalid_key"),
                                           QStringLiteral("The private key is invalid."));
    }
    return serializeCompressed(key);
}

} // namespace l402::crypto
