#include "core/crypto/Schnorr.h"

#include "core/crypto/Digest.h"

#include <openssl/crypto.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <array>
#include <cstring>

namespace l402::crypto {
namespace {

constexpr qsizetype kKeySize = 32;
constexpr qsizetype kSignatureSize = 64;

const unsigned char* bytes(QByteArrayView view)
{
    return reinterpret_cast<const unsigned char*>(view.data());
}

// One randomized context for the process (libsecp256k1 0.2 contexts can sign and verify);
// after the one-time randomization every call only reads it, so threads may share it.
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

// A keypair holds the secret key; scrub it when it goes out of scope.
struct ScrubbedKeypair {
    secp256k1_keypair keypair;
    ~ScrubbedKeypair() { OPENSSL_cleanse(&keypair, sizeof keypair); }
};

template <typename T> Result<T> fail(const char* code, const char* message)
{
    return Result<T>::failure(QLatin1String(code), QLatin1String(message));
}

// Hands libsecp256k1's ECDH the raw x coordinate instead of its default SHA-256 of the
// compressed point, as NIP-04 and NIP-44 require.
int copyXCoordinate(unsigned char* output, const unsigned char* x32, const unsigned char*, void*)
{
    std::memcpy(output, x32, kKeySize);
    return 1;
}

} // namespace

Result<QByteArray> xOnlyPublicKey(QByteArrayView secretKey)
{
    ScrubbedKeypair scrubbed;
    if (secretKey.size() != kKeySize ||
        !secp256k1_keypair_create(context(), &scrubbed.keypair, bytes(secretKey))) {
        return fail<QByteArray>(schnorr_error::kInvalidSecretKey,
                                "The secret key is not a valid secp256k1 scalar.");
    }
    secp256k1_xonly_pubkey publicKey;
    if (!secp256k1_keypair_xonly_pub(context(), &publicKey, nullptr, &scrubbed.keypair)) {
        return fail<QByteArray>(schnorr_error::kInvalidSecretKey,
                                "The public key could not be derived.");
    }
    QByteArray out(kKeySize, Qt::Uninitialized);
    secp256k1_xonly_pubkey_serialize(context(), reinterpret_cast<unsigned char*>(out.data()),
                                     &publicKey);
    return out;
}

bool isValidXOnlyPublicKey(QByteArrayView publicKey)
{
    secp256k1_xonly_pubkey parsed;
    return publicKey.size() == kKeySize &&
           secp256k1_xonly_pubkey_parse(context(), &parsed, bytes(publicKey)) == 1;
}

Result<QByteArray> schnorrSign(QByteArrayView secretKey, QByteArrayView message,
                               QByteArrayView auxRandomness)
{
    if (!auxRandomness.isEmpty() && auxRandomness.size() != 32) {
        return fail<QByteArray>(schnorr_error::kInvalidArgument,
                                "BIP340 auxiliary randomness must be 32 bytes.");
    }
    ScrubbedKeypair scrubbed;
    if (secretKey.size() != kKeySize ||
        !secp256k1_keypair_create(context(), &scrubbed.keypair, bytes(secretKey))) {
        return fail<QByteArray>(schnorr_error::kInvalidSecretKey,
                                "The secret key is not a valid secp256k1 scalar.");
    }
    const QByteArray freshAux = auxRandomness.isEmpty() ? randomBytes(32) : QByteArray();
    const QByteArrayView aux = auxRandomness.isEmpty() ? QByteArrayView(freshAux) : auxRandomness;

    QByteArray signature(kSignatureSize, Qt::Uninitialized);
    auto* out = reinterpret_cast<unsigned char*>(signature.data());
    int signedOk = 0;
    if (message.size() == 32) {
        signedOk = secp256k1_schnorrsig_sign32(context(), out, bytes(message), &scrubbed.keypair,
                                               bytes(aux));
    } else {
        secp256k1_schnorrsig_extraparams extra = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
        extra.ndata = const_cast<unsigned char*>(bytes(aux));
        signedOk = secp256k1_schnorrsig_sign_custom(context(), out, bytes(message),
                                                    static_cast<size_t>(message.size()),
                                                    &scrubbed.keypair, &extra);
    }
    if (!signedOk) {
        return fail<QByteArray>(schnorr_error::kInvalidSecretKey, "Signing failed.");
    }
    // BIP340 advises checking a fresh signature: a fault during signing can leak the key
    // through the bad signature, so a failed self-check must never leave this function.
    secp256k1_xonly_pubkey publicKey;
    if (!secp256k1_keypair_xonly_pub(context(), &publicKey, nullptr, &scrubbed.keypair) ||
        !secp256k1_schnorrsig_verify(context(), out, bytes(message),
                                     static_cast<size_t>(message.size()), &publicKey)) {
        return fail<QByteArray>(schnorr_error::kInvalidSecretKey,
                                "The new signature did not verify.");
    }
    return signature;
}

bool schnorrVerify(QByteArrayView publicKey, QByteArrayView message, QByteArrayView signature)
{
    secp256k1_xonly_pubkey parsed;
    if (publicKey.size() != kKeySize || signature.size() != kSignatureSize ||
        !secp256k1_xonly_pubkey_parse(context(), &parsed, bytes(publicKey))) {
        return false;
    }
    return secp256k1_schnorrsig_verify(context(), bytes(signature), bytes(message),
                                       static_cast<size_t>(message.size()), &parsed) == 1;
}

Result<SecureBytes> sharedSecretX(QByteArrayView secretKey, QByteArrayView peerPublicKey)
{
    if (secretKey.size() != kKeySize || !secp256k1_ec_seckey_verify(context(), bytes(secretKey))) {
        return fail<SecureBytes>(schnorr_error::kInvalidSecretKey,
                                 "The secret key is not a valid secp256k1 scalar.");
    }
    std::array<unsigned char, 33> compressed{};
    secp256k1_pubkey point;
    if (peerPublicKey.size() != kKeySize) {
        return fail<SecureBytes>(schnorr_error::kInvalidPublicKey,
                                 "The public key must be 32 bytes (x-only).");
    }
    compressed[0] = 0x02; // lift_x: the point with even y
    std::memcpy(compressed.data() + 1, peerPublicKey.data(), kKeySize);
    if (!secp256k1_ec_pubkey_parse(context(), &point, compressed.data(), compressed.size())) {
        return fail<SecureBytes>(schnorr_error::kInvalidPublicKey,
                                 "The public key is not a point on secp256k1.");
    }
    std::array<unsigned char, kKeySize> sharedX{};
    const int agreed = secp256k1_ecdh(context(), sharedX.data(), &point, bytes(secretKey),
                                      copyXCoordinate, nullptr);
    SecureBytes out(QByteArrayView(sharedX.data(), kKeySize));
    OPENSSL_cleanse(sharedX.data(), sharedX.size());
    if (!agreed) {
        return fail<SecureBytes>(schnorr_error::kInvalidSecretKey,
                                 "Key agreement failed for this secret key.");
    }
    return out;
}

} // namespace l402::crypto
