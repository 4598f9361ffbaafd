#include "core/protocol/Macaroon.h"

#include "core/crypto/Digest.h"

#include <QStringDecoder>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace l402::protocol {
namespace {

// Field types of the V2 binary format (go-macaroon marshal-v2, libmacaroons v2).
constexpr uint8_t kEndOfSection = 0;
constexpr uint8_t kFieldLocation = 1;
constexpr uint8_t kFieldIdentifier = 2;
constexpr uint8_t kFieldVerificationId = 4;
constexpr uint8_t kFieldSignature = 6;
constexpr qsizetype kSignatureSize = 32;
// A macaroon is a bearer token in an HTTP header; nothing legitimate comes near this.
constexpr qsizetype kMaxMacaroonSize = 64 * 1024;
constexpr qsizetype kMaxCaveats = 1024;

const QByteArray& keyGeneratorKey()
{
    static const QByteArray key = QByteArrayLiteral("macaroons-key-generator");
    return key;
}

QByteArray hash2(QByteArrayView key, QByteArrayView first, QByteArrayView second)
{
    QByteArray both = crypto::hmacSha256(key, first);
    both += crypto::hmacSha256(key, second);
    return crypto::hmacSha256(key, both);
}

Result<Macaroon> fail(const QString& message)
{
    return Result<Macaroon>::failure(QStringLiteral("invalid_macaroon"), message);
}

class Reader {
public:
    explicit Reader(QByteArrayView data)
        : m_data(data)
    {
    }
    bool atEnd() const { return m_position >= m_data.size(); }
    qsizetype remaining() const { return m_data.size() - m_position; }
    int peek() const { return atEnd() ? -1 : static_cast<uint8_t>(m_data[m_position]); }
    uint8_t take() { return static_cast<uint8_t>(m_data[m_position++]); }

    std::optional<uint64_t> varint()
    {
        uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (atEnd()) {
                return std::nullopt;
            }
            const uint8_t byte = take();
            value |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) {
                return value;
            }
        }
        return std::nullopt;
    }

    std::optional<QByteArray> bytes(uint64_t count)
    {
        if (count > static_cast<uint64_t>(remaining())) {
            return std::nullopt;
        }
        QByteArray out = m_data.sliced(m_position, static_cast<qsizetype>(count)).toByteArray();
        m_position += static_cast<qsizetype>(count);
        return out;
    }

private:
    QByteArrayView m_data;
    qsizetype m_position = 0;
};

struct Field {
    uint8_t type = 0;
    QByteArray data;
};

std::optional<Field> readField(Reader& reader)
{
    if (reader.atEnd()) {
        return std::nullopt;
    }
    Field field;
    field.type = reader.take();
    if (field.type == kEndOfSection) {
        return field;
    }
    const auto length = reader.varint();
    if (!length) {
        return std::nullopt;
    }
    auto data = reader.bytes(*length);
    if (!data) {
        return std::nullopt;
    }
    field.data = *data;
    return field;
}

std::optional<QString> utf8(const QByteArray& bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder.decode(bytes);
    if (decoder.hasError()) {
        return std::nullopt;
    }
    return text;
}

void appendVarint(QByteArray& out, uint64_t value)
{
    while (value >= 0x80) {
        out.append(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.append(static_cast<char>(value));
}

void appendField(QByteArray& out, uint8_t type, QByteArrayView data)
{
    out.append(static_cast<char>(type));
    appendVarint(out, static_cast<uint64_t>(data.size()));
    out.append(data);
}

void appendPacket(QByteArray& out, QByteArrayView key, QByteArrayView value)
{
    const qsizetype size = 4 + key.size() + 1 + value.size() + 1;
    out.append(QByteArray::number(size, 16).rightJustified(4, '0'));
    out.append(key);
    out.append(' ');
    out.append(value);
    out.append('\n');
}

} // namespace

Result<QByteArray> decodeFlexibleBase64(QByteArrayView text)
{
    QByteArray normalized = text.toByteArray();
    while (normalized.endsWith('=')) {
        normalized.chop(1);
    }
    for (char& c : normalized) {
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        }
    }
    if (normalized.size() % 4 == 1) {
        return Result<QByteArray>::failure(QStringLiteral("invalid_base64"),
                                           QStringLiteral("The base64 text has a wrong length."));
    }
    while (normalized.size() % 4 != 0) {
        normalized.append('=');
    }
    auto decoded = QByteArray::fromBase64Encoding(
        normalized, QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        return Result<QByteArray>::failure(QStringLiteral("invalid_base64"),
                                           QStringLiteral("The text is not valid base64."));
    }
    return *decoded;
}

Macaroon Macaroon::mint(QByteArrayView rootKey, QByteArrayView identifier, const QString& location)
{
    Macaroon macaroon;
    macaroon.m_location = location;
    macaroon.m_identifier = identifier.toByteArray();
    macaroon.m_signature =
        crypto::hmacSha256(crypto::hmacSha256(keyGeneratorKey(), rootKey), identifier);
    return macaroon;
}

Result<Macaroon> Macaroon::fromBase64(QByteArrayView text)
{
    if (text.size() > kMaxMacaroonSize * 4 / 3 + 4) {
        return fail(QStringLiteral("The macaroon is too large."));
    }
    auto bytes = decodeFlexibleBase64(text);
    if (!bytes) {
        return fail(QStringLiteral("The macaroon is not valid base64."));
    }
    return fromBinary(bytes.value());
}

Result<Macaroon> Macaroon::fromBinary(QByteArrayView bytes)
{
    if (bytes.isEmpty()) {
        return fail(QStringLiteral("The macaroon is empty."));
    }
    if (bytes.size() > kMaxMacaroonSize) {
        return fail(QStringLiteral("The macaroon is too large."));
    }
    Macaroon macaroon;
    if (static_cast<uint8_t>(bytes.front()) != 2) {
        // V1: a sequence of packets "LLLLkey value\n" where LLLL is the hex length of the
        // whole packet. The caveat fields (cid, vid, cl) follow the identifier in order.
        macaroon.m_format = Format::V1;
        qsizetype position = 0;
        int stage = 0; // 0 expect location, 1 identifier, 2 caveats, 3 done
        while (position < bytes.size()) {
            if (stage == 3) {
                return fail(QStringLiteral("The V1 macaroon has data after its signature."));
            }
            if (bytes.size() - position < 4) {
                return fail(QStringLiteral("The V1 macaroon ends inside a packet header."));
            }
            bool ok = false;
            const QByteArray header = bytes.sliced(position, 4).toByteArray();
            const qsizetype size = header.toLongLong(&ok, 16);
            const bool hexOnly = std::all_of(header.begin(), header.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            });
            if (!ok || !hexOnly || size < 6 || size > bytes.size() - position) {
                return fail(QStringLiteral("The macaroon is neither V2 nor a valid V1 packet "
                                           "sequence."));
            }
            const QByteArrayView packet = bytes.sliced(position + 4, size - 4);
            position += size;
            if (!packet.endsWith('\n')) {
                return fail(QStringLiteral("A V1 macaroon packet does not end in a newline."));
            }
            const qsizetype space = packet.indexOf(' ');
            if (space <= 0) {
                return fail(QStringLiteral("A V1 macaroon packet has no key."));
            }
            const QByteArrayView key = packet.first(space);
            const QByteArray value =
                packet.sliced(space + 1, packet.size() - space - 2).toByteArray();
            if (stage == 0 && key == "location") {
                auto text = utf8(value);
                if (!text) {
                    return fail(QStringLiteral("The macaroon location is not UTF-8."));
                }
                macaroon.m_location = *text;
                stage = 1;
            } else if (stage <= 1 && key == "identifier") {
                macaroon.m_identifier = value;
                stage = 2;
            } else if (stage == 2 && key == "cid") {
                if (macaroon.m_caveats.size() >= kMaxCaveats) {
                    return fail(QStringLiteral("The macaroon has too many caveats."));
                }
                macaroon.m_caveats.append(Caveat{value, {}, {}});
            } else if (stage == 2 && key == "vid" && !macaroon.m_caveats.isEmpty() &&
                       macaroon.m_caveats.last().verificationId.isEmpty()) {
                macaroon.m_caveats.last().verificationId = value;
            } else if (stage == 2 && key == "cl" && !macaroon.m_caveats.isEmpty()) {
                auto text = utf8(value);
                if (!text) {
                    return fail(QStringLiteral("A caveat location is not UTF-8."));
                }
                macaroon.m_caveats.last().location = *text;
            } else if (stage == 2 && key == "signature") {
                if (value.size() != kSignatureSize) {
                    return fail(QStringLiteral("The macaroon signature is not 32 bytes."));
                }
                macaroon.m_signature = value;
                stage = 3;
            } else {
                return fail(QStringLiteral("The V1 macaroon has an unexpected packet (key %1).")
                                .arg(QString::fromLatin1(key.toByteArray().left(32).toHex())));
            }
        }
        if (stage != 3) {
            return fail(QStringLiteral("The V1 macaroon has no signature."));
        }
        return macaroon;
    }

    Reader reader(bytes.sliced(1));
    macaroon.m_format = Format::V2;
    const QString truncated = QStringLiteral("The macaroon is truncated or malformed.");

    // Header section: [location] identifier EOS.
    auto field = readField(reader);
    if (!field) {
        return fail(truncated);
    }
    if (field->type == kFieldLocation) {
        auto text = utf8(field->data);
        if (!text) {
            return fail(QStringLiteral("The macaroon location is not UTF-8."));
        }
        macaroon.m_location = *text;
        field = readField(reader);
        if (!field) {
            return fail(truncated);
        }
    }
    if (field->type != kFieldIdentifier) {
        return fail(QStringLiteral("The macaroon has no identifier."));
    }
    macaroon.m_identifier = field->data;
    field = readField(reader);
    if (!field || field->type != kEndOfSection) {
        return fail(QStringLiteral("The macaroon header has an unexpected field."));
    }

    // Caveat sections, each [location] identifier [vid] EOS, then an empty section.
    for (;;) {
        field = readField(reader);
        if (!field) {
            return fail(truncated);
        }
        if (field->type == kEndOfSection) {
            break;
        }
        if (macaroon.m_caveats.size() >= kMaxCaveats) {
            return fail(QStringLiteral("The macaroon has too many caveats."));
        }
        Caveat caveat;
        if (field->type == kFieldLocation) {
            auto text = utf8(field->data);
            if (!text) {
                return fail(QStringLiteral("A caveat location is not UTF-8."));
            }
            caveat.location = *text;
            field = readField(reader);
            if (!field) {
                return fail(truncated);
            }
        }
        if (field->type != kFieldIdentifier) {
            return fail(QStringLiteral("A caveat has no identifier."));
        }
        caveat.id = field->data;
        field = readField(reader);
        if (!field) {
            return fail(truncated);
        }
        if (field->type == kFieldVerificationId) {
            if (field->data.isEmpty()) {
                return fail(QStringLiteral("A caveat has an empty verification id."));
            }
            caveat.verificationId = field->data;
            field = readField(reader);
            if (!field) {
                return fail(truncated);
            }
        }
        if (field->type != kEndOfSection) {
            return fail(QStringLiteral("A caveat has an unexpected field."));
        }
        macaroon.m_caveats.append(caveat);
    }

    field = readField(reader);
    if (!field || field->type != kFieldSignature) {
        return fail(QStringLiteral("The macaroon has no signature."));
    }
    if (field->data.size() != kSignatureSize) {
        return fail(QStringLiteral("The macaroon signature is not 32 bytes."));
    }
    macaroon.m_signature = field->data;
    if (!reader.atEnd()) {
        return fail(QStringLiteral("The macaroon has data after its signature."));
    }
    return macaroon;
}

QByteArray Macaroon::toBinaryV2() const
{
    QByteArray out;
    out.reserve(m_identifier.size() + m_location.size() + 64 + m_caveats.size() * 48);
    out.append(char(2));
    if (!m_location.isEmpty()) {
        appendField(out, kFieldLocation, m_location.toUtf8());
    }
    appendField(out, kFieldIdentifier, m_identifier);
    out.append(char(kEndOfSection));
    for (const Caveat& caveat : m_caveats) {
        if (!caveat.location.isEmpty()) {
            appendField(out, kFieldLocation, caveat.location.toUtf8());
        }
        appendField(out, kFieldIdentifier, caveat.id);
        if (!caveat.verificationId.isEmpty()) {
            appendField(out, kFieldVerificationId, caveat.verificationId);
        }
        out.append(char(kEndOfSection));
    }
    out.append(char(kEndOfSection));
    appendField(out, kFieldSignature, m_signature);
    return out;
}

QByteArray Macaroon::toBinaryV1() const
{
    QByteArray out;
    appendPacket(out, "location", m_location.toUtf8());
    appendPacket(out, "identifier", m_identifier);
    for (const Caveat& caveat : m_caveats) {
        appendPacket(out, "cid", caveat.id);
        if (caveat.isThirdParty()) {
            appendPacket(out, "vid", caveat.verificationId);
            appendPacket(out, "cl", caveat.location.toUtf8());
        }
    }
    appendPacket(out, "signature", m_signature);
    return out;
}

QByteArray Macaroon::toBase64() const
{
    return toBinaryV2().toBase64();
}

Macaroon Macaroon::withFirstPartyCaveat(QByteArrayView predicate) const
{
    Macaroon out = *this;
    out.m_caveats.append(Caveat{predicate.toByteArray(), {}, {}});
    out.m_signature = crypto::hmacSha256(m_signature, predicate);
    return out;
}

Macaroon Macaroon::withThirdPartyCaveat(QByteArrayView caveatId, QByteArrayView verificationId,
                                        const QString& caveatLocation) const
{
    Macaroon out = *this;
    out.m_caveats.append(
        Caveat{caveatId.toByteArray(), verificationId.toByteArray(), caveatLocation});
    out.m_signature = hash2(m_signature, verificationId, caveatId);
    return out;
}

QByteArray Macaroon::expectedSignature(QByteArrayView rootKey) const
{
    QByteArray signature =
        crypto::hmacSha256(crypto::hmacSha256(keyGeneratorKey(), rootKey), m_identifier);
    for (const Caveat& caveat : m_caveats) {
        signature = caveat.isThirdParty() ? hash2(signature, caveat.verificationId, caveat.id)
                                          : crypto::hmacSha256(signature, caveat.id);
    }
    return signature;
}

bool Macaroon::verifySignature(QByteArrayView rootKey) const
{
    return crypto::constantTimeEquals(expectedSignature(rootKey), m_signature);
}

Result<L402Identifier> L402Identifier::parse(QByteArrayView identifier)
{
    using R = Result<L402Identifier>;
    if (identifier.size() < 2) {
        return R::failure(QStringLiteral("invalid_l402_identifier"),
                          QStringLiteral("The macaroon identifier is too short for L402."));
    }
    L402Identifier out;
    out.version = static_cast<quint16>((static_cast<uint8_t>(identifier[0]) << 8) |
                                       static_cast<uint8_t>(identifier[1]));
    if (out.version != 0) {
        return R::failure(
            QStringLiteral("invalid_l402_identifier"),
            QStringLiteral("The L402 identifier has unknown version %1.").arg(out.version));
    }
    if (identifier.size() != kSize) {
        return R::failure(QStringLiteral("invalid_l402_identifier"),
                          QStringLiteral("The L402 identifier is %1 bytes, not %2.")
                              .arg(identifier.size())
                              .arg(kSize));
    }
    out.paymentHash = identifier.sliced(2, 32).toByteArray();
    out.tokenId = identifier.sliced(34, 32).toByteArray();
    return out;
}

QByteArray L402Identifier::encode() const
{
    QByteArray out;
    out.append(static_cast<char>(version >> 8));
    out.append(static_cast<char>(version & 0xff));
    out.append(paymentHash);
    out.append(tokenId);
    return out;
}

ApertureCaveats ApertureCaveats::fromMacaroon(const Macaroon& macaroon)
{
    ApertureCaveats out;
    auto upsert = [](auto& list, const QString& key, auto value, bool keepMinimum) {
        for (auto& entry : list) {
            if (entry.first == key) {
                if constexpr (std::is_same_v<decltype(value), qint64>) {
                    entry.second = keepMinimum ? std::min(entry.second, value) : value;
                } else {
                    entry.second = value;
                }
                return;
            }
        }
        list.append({key, value});
    };
    for (const Caveat& caveat : macaroon.caveats()) {
        if (caveat.isThirdParty()) {
            continue;
        }
        auto text = utf8(caveat.id);
        // Split the decoded text, not the bytes: a non-ASCII key shifts QChar positions.
        const qsizetype equals = text ? text->indexOf(QLatin1Char('=')) : -1;
        if (equals <= 0) {
            out.unparsed.append(caveat.id);
            continue;
        }
        const QString key = text->left(equals).trimmed();
        const QString value = text->mid(equals + 1).trimmed();
        out.all.append({key, value});
        if (key == QLatin1String("services")) {
            QList<ServiceTier> services;
            for (const QString& entry : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                const QStringList parts = entry.trimmed().split(QLatin1Char(':'));
                bool ok = parts.size() == 2;
                const int tier = ok ? parts.at(1).toInt(&ok) : 0;
                services.append(ServiceTier{parts.at(0), ok ? tier : 0});
            }
            out.services = services;
        } else if (key.endsWith(QLatin1String("_capabilities"))) {
            const QString service = key.chopped(int(strlen("_capabilities")));
            QStringList capabilities;
            for (const QString& capability : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                capabilities.append(capability.trimmed());
            }
            upsert(out.capabilities, service, capabilities, false);
        } else if (key.endsWith(QLatin1String("_valid_until"))) {
            bool ok = false;
            const qint64 until = value.toLongLong(&ok);
            if (ok) {
                upsert(out.validUntil, key.chopped(int(strlen("_valid_until"))), until, true);
            }
        }
    }
    return out;
}

std::optional<qint64> ApertureCaveats::earliestValidUntil() const
{
    std::optional<qint64> earliest;
    for (const auto& [service, until] : validUntil) {
        if (!earliest || until < *earliest) {
            earliest = until;
        }
    }
    return earliest;
}

} // namespace l402::protocol
