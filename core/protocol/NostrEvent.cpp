#include "core/protocol/NostrEvent.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Schnorr.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <optional>
#include <utility>

namespace l402::protocol {
namespace {

constexpr qint64 kMaxCreatedAt = (qint64(1) << 53) - 1; // what a JSON number holds exactly
constexpr int kMaxKind = 65535;

template <typename T> Result<T> invalid(const QString& message)
{
    return Result<T>::failure(QLatin1String(nostr_error::kInvalidEvent), message);
}

// Appends `text` as a JSON string. Works on UTF-8 bytes: every byte of a multi-byte sequence
// is >= 0x80, so only ASCII bytes are ever escaped.
void appendString(QByteArray& out, const QString& text, EventIdEscaping escaping)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out.append('"');
    for (const char c : text.toUtf8()) {
        switch (c) {
        case '\n':
            out.append("\\n");
            break;
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        default:
            if (escaping == EventIdEscaping::JsonStringify && c >= 0 && c < 0x20) {
                out.append("\\u00");
                out.append(kHex[c >> 4]);
                out.append(kHex[c & 0x0f]);
            } else {
                out.append(c);
            }
        }
    }
    out.append('"');
}

bool hasControlOutsideNip01Escapes(const QString& text)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 0x20 && u != u'\n' && u != u'\r' && u != u'\t' && u != u'\b' && u != u'\f') {
            return true;
        }
    }
    return false;
}

bool anyStringHasControlOutsideNip01Escapes(const NostrEvent& event)
{
    if (hasControlOutsideNip01Escapes(event.content)) {
        return true;
    }
    for (const QStringList& tag : event.tags) {
        for (const QString& value : tag) {
            if (hasControlOutsideNip01Escapes(value)) {
                return true;
            }
        }
    }
    return false;
}

// The checks shared by parsing, signing and verifying (everything except id and signature).
Status checkContentFields(const NostrEvent& event)
{
    if (event.createdAt < 0 || event.createdAt > kMaxCreatedAt) {
        return invalid<Unit>(QStringLiteral("created_at is out of range."));
    }
    if (event.kind < 0 || event.kind > kMaxKind) {
        return invalid<Unit>(QStringLiteral("kind is out of range (0 to 65535)."));
    }
    if (!event.content.isValidUtf16()) {
        return invalid<Unit>(QStringLiteral("content is not valid Unicode."));
    }
    for (const QStringList& tag : event.tags) {
        if (tag.isEmpty()) {
            return invalid<Unit>(QStringLiteral("A tag is empty."));
        }
        for (const QString& value : tag) {
            if (!value.isValidUtf16()) {
                return invalid<Unit>(QStringLiteral("A tag is not valid Unicode."));
            }
        }
    }
    return success();
}

std::optional<QByteArray> lowercaseHex(const QJsonValue& value, qsizetype byteCount)
{
    if (!value.isString()) {
        return std::nullopt;
    }
    const QString text = value.toString();
    if (text.size() != byteCount * 2) {
        return std::nullopt;
    }
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (!((u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f'))) {
            return std::nullopt;
        }
    }
    return QByteArray::fromHex(text.toLatin1());
}

std::optional<qint64> integerIn(const QJsonValue& value, qint64 minimum, qint64 maximum)
{
    if (!value.isDouble()) {
        return std::nullopt;
    }
    // toInteger() returns the fallback for fractions and for values beyond qint64.
    const qint64 fallback = minimum - 1;
    const qint64 number = value.toInteger(fallback);
    if (number == fallback || number < minimum || number > maximum) {
        return std::nullopt;
    }
    return number;
}

} // namespace

QByteArray NostrEvent::serializeForId(EventIdEscaping escaping) const
{
    QByteArray out;
    out.reserve(96 + content.size() * 3 + tags.size() * 80);
    out.append("[0,\"");
    out.append(pubkey.toHex());
    out.append("\",");
    out.append(QByteArray::number(createdAt));
    out.append(',');
    out.append(QByteArray::number(kind));
    out.append(",[");
    for (qsizetype t = 0; t < tags.size(); ++t) {
        if (t > 0) {
            out.append(',');
        }
        out.append('[');
        const QStringList& tag = tags.at(t);
        for (qsizetype v = 0; v < tag.size(); ++v) {
            if (v > 0) {
                out.append(',');
            }
            appendString(out, tag.at(v), escaping);
        }
        out.append(']');
    }
    out.append("],");
    appendString(out, content, escaping);
    out.append(']');
    return out;
}

QByteArray NostrEvent::computeId(EventIdEscaping escaping) const
{
    return crypto::sha256(serializeForId(escaping));
}

Result<NostrEvent> NostrEvent::signedWith(QByteArrayView secretKey,
                                          QByteArrayView auxRandomness) const
{
    if (Status fields = checkContentFields(*this); !fields) {
        return fields.error();
    }
    auto publicKey = crypto::xOnlyPublicKey(secretKey);
    if (!publicKey) {
        return Result<NostrEvent>::failure(QLatin1String(nostr_error::kInvalidKey),
                                           publicKey.error().message);
    }
    NostrEvent out = *this;
    out.pubkey = std::move(publicKey.value());
    out.id = out.computeId(EventIdEscaping::Nip01);
    auto signed64 = crypto::schnorrSign(secretKey, out.id, auxRandomness);
    if (!signed64) {
        return Result<NostrEvent>::failure(QLatin1String(nostr_error::kInvalidKey),
                                           signed64.error().message);
    }
    out.signature = std::move(signed64.value());
    return out;
}

Status NostrEvent::verify() const
{
    if (id.size() != 32 || pubkey.size() != 32 || signature.size() != 64) {
        return invalid<Unit>(QStringLiteral("id, pubkey or sig has the wrong size."));
    }
    if (Status fields = checkContentFields(*this); !fields) {
        return fields;
    }
    const bool idMatches = computeId(EventIdEscaping::Nip01) == id ||
                           (anyStringHasControlOutsideNip01Escapes(*this) &&
                            computeId(EventIdEscaping::JsonStringify) == id);
    if (!idMatches) {
        return Status::failure(QLatin1String(nostr_error::kIdMismatch),
                               QStringLiteral("The event id is not the hash of the event."));
    }
    if (!crypto::schnorrVerify(pubkey, id, signature)) {
        return Status::failure(QLatin1String(nostr_error::kInvalidSignature),
                               QStringLiteral("The event signature is not valid."));
    }
    return success();
}

QJsonObject NostrEvent::toJson() const
{
    QJsonArray tagArray;
    for (const QStringList& tag : tags) {
        tagArray.append(QJsonArray::fromStringList(tag));
    }
    return QJsonObject{
        {QStringLiteral("id"), QString::fromLatin1(id.toHex())},
        {QStringLiteral("pubkey"), QString::fromLatin1(pubkey.toHex())},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("kind"), kind},
        {QStringLiteral("tags"), tagArray},
        {QStringLiteral("content"), content},
        {QStringLiteral("sig"), QString::fromLatin1(signature.toHex())},
    };
}

Result<NostrEvent> NostrEvent::fromJson(const QJsonObject& object)
{
    NostrEvent event;
    const auto id = lowercaseHex(object.value(QLatin1String("id")), 32);
    const auto pubkey = lowercaseHex(object.value(QLatin1String("pubkey")), 32);
    const auto signature = lowercaseHex(object.value(QLatin1String("sig")), 64);
    if (!id || !pubkey || !signature) {
        return invalid<NostrEvent>(
            QStringLiteral("id, pubkey and sig must be lowercase hex of 32, 32 and 64 bytes."));
    }
    const auto createdAt = integerIn(object.value(QLatin1String("created_at")), 0, kMaxCreatedAt);
    if (!createdAt) {
        return invalid<NostrEvent>(QStringLiteral("created_at must be a non-negative integer."));
    }
    const auto kind = integerIn(object.value(QLatin1String("kind")), 0, kMaxKind);
    if (!kind) {
        return invalid<NostrEvent>(QStringLiteral("kind must be an integer from 0 to 65535."));
    }
    const QJsonValue content = object.value(QLatin1String("content"));
    if (!content.isString()) {
        return invalid<NostrEvent>(QStringLiteral("content must be a string."));
    }
    const QJsonValue tags = object.value(QLatin1String("tags"));
    if (!tags.isArray()) {
        return invalid<NostrEvent>(QStringLiteral("tags must be an array."));
    }
    for (const QJsonValue& tag : tags.toArray()) {
        if (!tag.isArray()) {
            return invalid<NostrEvent>(QStringLiteral("Each tag must be an array of strings."));
        }
        QStringList values;
        for (const QJsonValue& value : tag.toArray()) {
            if (!value.isString()) {
                return invalid<NostrEvent>(QStringLiteral("Each tag must be an array of strings."));
            }
            values.append(value.toString());
        }
        event.tags.append(values);
    }
    event.id = *id;
    event.pubkey = *pubkey;
    event.signature = *signature;
    event.createdAt = *createdAt;
    event.kind = static_cast<int>(*kind);
    event.content = content.toString();
    if (Status fields = checkContentFields(event); !fields) {
        return fields.error();
    }
    return event;
}

Result<NostrEvent> NostrEvent::parse(QByteArrayView json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError) {
        return invalid<NostrEvent>(QStringLiteral("The event is not valid JSON: ") +
                                   error.errorString());
    }
    if (!document.isObject()) {
        return invalid<NostrEvent>(QStringLiteral("The event is not a JSON object."));
    }
    return fromJson(document.object());
}

} // namespace l402::protocol
