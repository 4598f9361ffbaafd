#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace l402::protocol {

// Decodes base64 in either alphabet (standard or URL-safe), padded or not; whitespace and
// other characters are errors. Macaroons reach us in all four forms.
Result<QByteArray> decodeFlexibleBase64(QByteArrayView text);

struct Caveat {
    QByteArray id;
    QByteArray verificationId; // empty for first-party caveats
    QString location;          // third-party caveats name the discharger here

    bool isThirdParty() const { return !verificationId.isEmpty(); }
    friend bool operator==(const Caveat&, const Caveat&) = default;
};

// A macaroon in the go-macaroon/libmacaroons model. Parsing does not need the root key;
// attenuation extends the HMAC chain from the current signature, so a token can be narrowed
// (e.g. a shorter expiry) before it is handed to someone else.
class Macaroon {
public:
    enum class Format { V1, V2 };

    static Macaroon mint(QByteArrayView rootKey, QByteArrayView identifier,
                         const QString& location);

    // Binary V2 (first byte 0x02) or V1 packets.
    static Result<Macaroon> fromBinary(QByteArrayView bytes);
    // Base64 (either alphabet, padded or not) of either binary format.
    static Result<Macaroon> fromBase64(QByteArrayView text);

    QByteArray toBinaryV2() const;
    QByteArray toBinaryV1() const;
    // Standard, padded base64 of the V2 binary: the form of the L402 Authorization header.
    QByteArray toBase64() const;

    Format sourceFormat() const { return m_format; }
    const QString& location() const { return m_location; }
    const QByteArray& identifier() const { return m_identifier; }
    const QList<Caveat>& caveats() const { return m_caveats; }
    const QByteArray& signature() const { return m_signature; }

    // Appends a first-party caveat: signature' = HMAC-SHA256(signature, predicate).
    Macaroon withFirstPartyCaveat(QByteArrayView predicate) const;
    // Appends a third-party caveat with a caller-made verification id (the encrypted caveat
    // key): signature' = HMAC(sig, HMAC(sig, vid) || HMAC(sig, cid)) as go-macaroon does.
    Macaroon withThirdPartyCaveat(QByteArrayView caveatId, QByteArrayView verificationId,
                                  const QString& caveatLocation) const;

    // The signature this macaroon would carry if minted with rootKey; equality with
    // signature() proves the chain (discharge macaroons are not checked here).
    QByteArray expectedSignature(QByteArrayView rootKey) const;
    bool verifySignature(QByteArrayView rootKey) const;

    friend bool operator==(const Macaroon& a, const Macaroon& b)
    {
        return a.m_location == b.m_location && a.m_identifier == b.m_identifier &&
               a.m_caveats == b.m_caveats && a.m_signature == b.m_signature;
    }

private:
    Format m_format = Format::V2;
    QString m_location;
    QByteArray m_identifier;
    QList<Caveat> m_caveats;
    QByteArray m_signature;
};

// The L402 identifier Aperture mints: version (uint16 BE, 0) | payment hash | token id.
struct L402Identifier {
    static constexpr qsizetype kSize = 2 + 32 + 32;
    quint16 version = 0;
    QByteArray paymentHash; // 32 bytes
    QByteArray tokenId;     // 32 bytes

    static Result<L402Identifier> parse(QByteArrayView identifier);
    QByteArray encode() const;
};

// Aperture's first-party caveats, interpreted. Every caveat is kept in `all` as key/value so
// the UI can show the ones we do not interpret too.
struct ServiceTier {
    QString name;
    int tier = 0;
    friend bool operator==(const ServiceTier&, const ServiceTier&) = default;
};

struct ApertureCaveats {
    struct KeyValue {
        QString key;
        QString value;
        friend bool operator==(const KeyValue&, const KeyValue&) = default;
    };

    // `services=` as it stands after attenuation: the last occurrence wins, since each later
    // caveat may only narrow the earlier ones.
    QList<ServiceTier> services;
    QList<std::pair<QString, QStringList>> capabilities; // service -> capabilities (last wins)
    QList<std::pair<QString, qint64>> validUntil;        // service -> earliest unix time
    QList<KeyValue> all;                                 // every first-party caveat, in order
    QList<QByteArray> unparsed;                          // first-party caveats not key=value

    static ApertureCaveats fromMacaroon(const Macaroon& macaroon);
    std::optional<qint64> earliestValidUntil() const;
};

} // namespace l402::protocol
