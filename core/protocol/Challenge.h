#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringView>

#include <optional>
#include <variant>

namespace l402::protocol {

// Limits on what one 402 response may make us parse. A server that needs more is broken or
// hostile; either way the header is refused rather than half-read.
inline constexpr qsizetype kMaxAuthenticateHeaderBytes = 64 * 1024;
inline constexpr qsizetype kMaxAuthenticateHeaderValues = 32;
inline constexpr qsizetype kMaxChallengesPerHeader = 32;
inline constexpr qsizetype kMaxParamsPerChallenge = 64;

// ---------------------------------------------------------------------------------------
// RFC 9110 §11 challenges, scheme-agnostic.

struct AuthParam {
    QString name; // lower-cased: auth-param names are case-insensitive
    QString value;

    friend bool operator==(const AuthParam&, const AuthParam&) = default;
};

struct AuthChallenge {
    QString scheme;          // as sent; compare case-insensitively
    QList<AuthParam> params; // in header order, duplicates kept
    QString token68;         // set instead of params, e.g. `Basic dXNlcjpwdw==`

    bool schemeIs(QStringView name) const;
    // The first occurrence wins, so an intermediary that appends a duplicate cannot override
    // what the origin said. A null QString when absent.
    QString param(QStringView name) const;
    std::optional<QString> findParam(QStringView name) const;

    friend bool operator==(const AuthChallenge&, const AuthChallenge&) = default;
};

// One WWW-Authenticate field value, which may hold several challenges. All or nothing: a
// value that does not follow the grammar yields an `invalid_challenge` Error and no challenges,
// because once the framing is in doubt no parameter can be attributed safely.
[[nodiscard]] Result<QList<AuthChallenge>> parseAuthenticateHeader(QByteArrayView value);

struct AuthenticateHeaders {
    QList<AuthChallenge> challenges; // from every value that parsed, in order
    QList<Error> problems;           // one per value that did not
};

// Every WWW-Authenticate field value of one response. A broken value does not hide the
// challenges in the others.
[[nodiscard]] AuthenticateHeaders parseAuthenticateHeaders(const QList<QByteArray>& headerValues);

// ---------------------------------------------------------------------------------------
// The schemes the wallet can pay.

// `L402 macaroon="<base64>", invoice="<bolt11>"` (or the legacy scheme name `LSAT`).
struct L402Challenge {
    QString scheme;            // "L402" or "LSAT", spelled as sent
    QByteArray macaroonBase64; // from macaroon= or its synonym token=; not yet decoded
    QString invoice;           // BOLT 11, not yet decoded

    bool isLegacyLsat() const;

    friend bool operator==(const L402Challenge&, const L402Challenge&) = default;
};

// Interprets one parsed challenge whose scheme is L402 or LSAT.
[[nodiscard]] Result<L402Challenge> l402ChallengeFrom(const AuthChallenge& challenge);

// MPP `Payment` scheme (tempoxyz mpp-specs draft-httpauth-payment, draft-lightning-charge;
// Aperture mpp/). Only method "lightning" with intent "charge" can be paid; other methods and
// intents are kept, marked unsupported, so callers can say why they were passed over.
struct PaymentChallenge {
    // Auth-params exactly as received: the credential echoes them back byte for byte.
    QString id;
    QString realm;
    QString method;
    QString intent;
    QString requestB64;             // base64url JCS JSON, as received (padded or not)
    std::optional<QString> expires; // RFC 3339
    std::optional<QString> description;
    std::optional<QString> digest; // RFC 9530, binds the request body
    std::optional<QString> opaque; // base64url JSON the server wants back unchanged
    std::optional<QString> header; // "Payment-Authorization" selects that field for the credential

    // Decoded `request`.
    QJsonObject request;
    QString invoice;        // methodDetails.invoice: the authoritative BOLT 11
    QString paymentHashHex; // methodDetails.paymentHash, a convenience copy that must match
    QString network;        // methodDetails.network: mainnet, regtest or signet
    QString amount;         // decimal string in `currency` base units
    QString currency;       // "sat" for lightning

    bool supported = false;
    QString unsupportedReason; // plain sentence when !supported

    // "Authorization" unless the challenge selected "Payment-Authorization".
    QByteArray credentialHeaderName() const;

    friend bool operator==(const PaymentChallenge&, const PaymentChallenge&) = default;
};

// Interprets one parsed challenge whose scheme is Payment. A missing required parameter (or an
// empty id) is an error, as in Aperture; a complete offer is always returned, with
// supported == false and a reason when it is not a lightning charge we can pay (other method
// or intent, unknown `header`, request that is not base64url JSON, no methodDetails.invoice).
[[nodiscard]] Result<PaymentChallenge> paymentChallengeFrom(const AuthChallenge& challenge);

// ---------------------------------------------------------------------------------------
// Everything one 402 response offers.

struct ParsedChallenges {
    QList<L402Challenge> l402;       // L402 and LSAT, in header order
    QList<PaymentChallenge> payment; // supported and unsupported, in header order
    QList<Error> problems;           // unparseable values and incomplete L402/Payment offers

    // The offer to answer, in the wallet's order of preference: the first `L402` challenge,
    // else the first `LSAT` one (same token, older name), else the first supported Payment
    // challenge. L402 wins because its token is reusable; a Payment credential is single use.
    using Preferred = std::variant<std::monostate, L402Challenge, PaymentChallenge>;
    Preferred preferred() const;

    bool hasUsableChallenge() const;
};

// Unknown schemes (Basic, Bearer, Digest, ...) are skipped without a problem.
[[nodiscard]] ParsedChallenges parseChallenges(const QList<QByteArray>& wwwAuthenticateValues);

// ---------------------------------------------------------------------------------------
// Base64url as the Payment scheme uses it (RFC 4648 §5): the URL-safe alphabet only, '='
// padding optional but complete when present, unused trailing bits zero, no whitespace.
// Strict so that one payload has one spelling (Aperture mpp/testdata/vectors.json).
[[nodiscard]] std::optional<QByteArray> decodeBase64Url(QByteArrayView text);
// Unpadded base64url.
QByteArray encodeBase64Url(QByteArrayView bytes);

} // namespace l402::protocol
