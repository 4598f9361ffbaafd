#pragma once

#include "core/protocol/Challenge.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QString>

namespace l402::protocol {

inline constexpr qsizetype kPreimageBytes = 32;
// Credentials we parse come from our own agents; anything this large is not one.
inline constexpr qsizetype kMaxAuthorizationValueBytes = 64 * 1024;

// ---------------------------------------------------------------------------------------
// L402: `Authorization: L402 <standard padded base64 macaroon>:<64 lowercase hex preimage>`.

// Fails with `invalid_preimage` unless the preimage is 32 bytes, and with `invalid_macaroon`
// for an empty macaroon. The value holds secrets: never log it.
[[nodiscard]] Result<QByteArray> l402AuthorizationValue(QByteArrayView macaroonV2Binary,
                                                        QByteArrayView preimage32);

struct L402Credential {
    QString scheme;      // "L402" or "LSAT" as sent
    QByteArray macaroon; // binary, decoded from either base64 alphabet
    QByteArray preimage; // 32 bytes

    friend bool operator==(const L402Credential&, const L402Credential&) = default;
};

// Reads an Authorization value of the form above; the scheme may be L402 or LSAT in any case
// and the preimage hex in either case. Fails with `invalid_credential`.
[[nodiscard]] Result<L402Credential> parseL402AuthorizationValue(QByteArrayView value);

// ---------------------------------------------------------------------------------------
// MPP Payment, method lightning, intent charge:
// `Authorization: Payment <base64url, unpadded, of the JSON below>` where the JSON is
//   {"challenge":{"id":..,"realm":..,"method":..,"intent":..,"request":..
//                 [,"expires":..][,"description":..][,"opaque":..][,"digest":..][,"header":..]},
//    "payload":{"preimage":"<64 lowercase hex>"}}
// Sources: tempoxyz/mpp-specs specs/core/draft-httpauth-payment-02.md "Credentials" (the
// challenge object echoes the auth-params; `header` only when the challenge had it) and
// specs/methods/lightning/draft-lightning-charge-00.md "Credential Schema" (payload.preimage,
// lowercase hex); lightninglabs/aperture mpp/types.go ChallengeEcho + mpp/charge.go
// ChargePayload, whose field order this follows so that mpp/testdata/vectors.json
// "credentials" can be reproduced. A Payment credential is single use: never cache it.
// The credential goes in challenge.credentialHeaderName().

// Fails with `invalid_preimage` for a preimage that is not 32 bytes and with
// `invalid_challenge` for a challenge that is not a supported lightning charge.
[[nodiscard]] Result<QByteArray> paymentCredentialJson(const PaymentChallenge& challenge,
                                                       QByteArrayView preimage32);
[[nodiscard]] Result<QByteArray> paymentAuthorizationValue(const PaymentChallenge& challenge,
                                                           QByteArrayView preimage32);

struct PaymentCredential {
    QJsonObject challenge; // the echoed auth-params
    QString source;        // optional payer identifier (a DID), empty when absent
    QJsonObject payload;   // method specific; for lightning charge {"preimage": hex}

    friend bool operator==(const PaymentCredential&, const PaymentCredential&) = default;
};

// Reads `Payment <base64url JSON>` (scheme case-insensitive, padding tolerated). Requires
// challenge.id, challenge.method, challenge.intent and a payload object, as Aperture does.
// Fails with `invalid_credential`.
[[nodiscard]] Result<PaymentCredential> parsePaymentAuthorizationValue(QByteArrayView value);

} // namespace l402::protocol
