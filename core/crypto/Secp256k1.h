#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace l402::crypto {

// ECDSA over secp256k1 through libsecp256k1 (the library Bitcoin Core uses). Keys are
// 33-byte compressed public keys; signatures are 64-byte compact r||s.
struct RecoverableSignature {
    QByteArray compact; // 64 bytes r||s
    int recoveryId = 0; // 0..3
};

// The public key that produced `signature` over the 32-byte `digest`, or an error when the
// signature does not recover to a point.
Result<QByteArray> recoverPublicKey(QByteArrayView digest, QByteArrayView compactSignature,
                                    int recoveryId);

// True when `compactSignature` is a valid low-S signature of `digest` by `publicKey`.
bool verifySignature(QByteArrayView digest, QByteArrayView compactSignature,
                     QByteArrayView publicKey);

bool isValidPublicKey(QByteArrayView publicKey);

// Signing is for the demo node and for tests that build invoices; the wallet itself never
// signs invoices for real payments.
Result<RecoverableSignature> signRecoverable(QByteArrayView privateKey, QByteArrayView digest);
Result<QByteArray> publicKeyFromPrivate(QByteArrayView privateKey);

} // namespace l402::crypto
