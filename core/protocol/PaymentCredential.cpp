#include "core/protocol/PaymentCredential.h"

#include "core/protocol/Macaroon.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <algorithm>
#include <optional>
#include <utility>

namespace l402::protocol {

namespace {

Error invalidPreimage()
{
    return Error{QStringLiteral("invalid_preimage"),
                 QStringLiteral("A payment preimage must be exactly 32 bytes.")};
}

Error invalidCredential(QString message)
{
    return Error{QStringLiteral("invalid_credential"), std::move(message)};
}

bool isOptionalWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Splits `<scheme> 1*SP <credential>` with surrounding OWS; nullopt if the shape is wrong.
struct SchemeAndToken {
    QByteArrayView scheme;
    QByteArrayView token;
};

std::optional<SchemeAndToken> splitSchemeAndToken(QByteArrayView value)
{
    qsizetype begin = 0;
    qsizetype end = value.size();
    while (begin < end && isOptionalWhitespace(value.at(begin))) {
        ++begin;
    }
    while (end > begin && isOptionalWhitespace(value.at(end - 1))) {
        --end;
    }
    qsizetype space = begin;
    while (space < end && value.at(space) != ' ') {
        ++space;
    }
    qsizetype tokenStart = space;
    while (tokenStart < end && value.at(tokenStart) == ' ') {
        ++tokenStart;
    }
    if (space == begin || tokenStart == space || tokenStart >= end) {
        return std::nullopt;
    }
    return SchemeAndToken{value.sliced(begin, space - begin),
                          value.sliced(tokenStart, end - tokenStart)};
}

bool equalsIgnoringAsciiCase(QByteArrayView a, QLatin1String b)
{
    return QLatin1String(a.data(), a.size()).compare(b, Qt::CaseInsensitive) == 0;
}

// RFC 8785 §3.2.2.2 string serialization: only '"', '\' and C0 controls are escaped (the five
// with a short form use it, the rest \u00xx in lowercase); everything else is UTF-8 as is.
void appendJsonString(QByteArray& out, const QString& text)
{
    static constexpr char kHexDigits[] = "0123456789abcdef";
    out.append('"');
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out.append("\\u00");
                out.append(kHexDigits[(static_cast<unsigned char>(c) >> 4) & 0x0F]);
                out.append(kHexDigits[static_cast<unsigned char>(c) & 0x0F]);
            } else {
                out.append(c);
            }
        }
    }
    out.append('"');
}

void appendMember(QByteArray& out, bool& first, const char* name, const QString& value)
{
    if (!first) {
        out.append(',');
    }
    first = false;
    out.append('"');
    out.append(name);
    out.append("\":");
    appendJsonString(out, value);
}

void appendOptionalMember(QByteArray& out, bool& first, const char* name,
                          const std::optional<QString>& value)
{
    if (value) {
        appendMember(out, first, name, *value);
    }
}

} // namespace

// ---------------------------------------------------------------------------------------

Result<QByteArray> l402AuthorizationValue(QByteArrayView macaroonV2Binary,
                                          QByteArrayView preimage32)
{
    if (preimage32.size() != kPreimageBytes) {
        return invalidPreimage();
    }
    if (macaroonV2Binary.isEmpty()) {
        return Error{QStringLiteral("invalid_macaroon"),
                     QStringLiteral("An L402 credential needs a macaroon.")};
    }
    QByteArray value = QByteArrayLiteral("L402 ");
    value.append(macaroonV2Binary.toByteArray().toBase64());
    value.append(':');
    value.append(preimage32.toByteArray().toHex());
    return value;
}

Result<L402Credential> parseL402AuthorizationValue(QByteArrayView value)
{
    if (value.size() > kMaxAuthorizationValueBytes) {
        return invalidCredential(QStringLiteral("The L402 credential is too long."));
    }
    const std::optional<SchemeAndToken> parts = splitSchemeAndToken(value);
    if (!parts || (!equalsIgnoringAsciiCase(parts->scheme, QLatin1String("L402")) &&
                   !equalsIgnoringAsciiCase(parts->scheme, QLatin1String("LSAT")))) {
        return invalidCredential(
            QStringLiteral("The credential is not of the form \"L402 <macaroon>:<preimage>\"."));
    }
    const QByteArrayView token = parts->token;
    const qsizetype colon = token.indexOf(':');
    if (colon <= 0 || token.sliced(colon + 1).contains(':')) {
        return invalidCredential(
            QStringLiteral("The L402 credential needs exactly one macaroon and one preimage."));
    }
    const QByteArrayView macaroonText = token.first(colon);
    const QByteArrayView preimageHex = token.sliced(colon + 1);
    if (preimageHex.size() != 2 * kPreimageBytes ||
        !std::all_of(preimageHex.begin(), preimageHex.end(), isHexDigit)) {
        return invalidCredential(
            QStringLiteral("The L402 preimage must be 64 hexadecimal characters."));
    }
    auto macaroon = decodeFlexibleBase64(macaroonText);
    if (!macaroon || macaroon.value().isEmpty()) {
        return invalidCredential(QStringLiteral("The L402 macaroon is not valid base64."));
    }
    return L402Credential{QString::fromLatin1(parts->scheme), std::move(macaroon).value(),
                          QByteArray::fromHex(preimageHex.toByteArray())};
}

// ---------------------------------------------------------------------------------------

Result<QByteArray> paymentCredentialJson(const PaymentChallenge& challenge,
                                         QByteArrayView preimage32)
{
    if (preimage32.size() != kPreimageBytes) {
        return invalidPreimage();
    }
    if (!challenge.supported) {
        return Error{QStringLiteral("invalid_challenge"),
                     challenge.unsupportedReason.isEmpty()
                         ? QStringLiteral("The Payment challenge is not a lightning charge.")
                         : challenge.unsupportedReason};
    }
    // Written by hand rather than through QJsonDocument, which sorts members and has its own
    // escaping: the echo must be exactly the auth-params received, in a stable order.
    QByteArray json = QByteArrayLiteral("{\"challenge\":{");
    bool first = true;
    appendMember(json, first, "id", challenge.id);
    appendMember(json, first, "realm", challenge.realm);
    appendMember(json, first, "method", challenge.method);
    appendMember(json, first, "intent", challenge.intent);
    appendMember(json, first, "request", challenge.requestB64);
    appendOptionalMember(json, first, "expires", challenge.expires);
    appendOptionalMember(json, first, "description", challenge.description);
    appendOptionalMember(json, first, "opaque", challenge.opaque);
    appendOptionalMember(json, first, "digest", challenge.digest);
    appendOptionalMember(json, first, "header", challenge.header);
    json.append("},\"payload\":{\"preimage\":\"");
    json.append(preimage32.toByteArray().toHex());
    json.append("\"}}");
    return json;
}

Result<QByteArray> paymentAuthorizationValue(const PaymentChallenge& challenge,
                                             QByteArrayView preimage32)
{
    auto json = paymentCredentialJson(challenge, preimage32);
    if (!json) {
        return json.error();
    }
    QByteArray value = QByteArrayLiteral("Payment ");
    value.append(encodeBase64Url(json.value()));
    return value;
}

Result<PaymentCredential> parsePaymentAuthorizationValue(QByteArrayView value)
{
    if (value.size() > kMaxAuthorizationValueBytes) {
        return invalidCredential(QStringLiteral("The Payment credential is too long."));
    }
    const std::optional<SchemeAndToken> parts = splitSchemeAndToken(value);
    if (!parts || !equalsIgnoringAsciiCase(parts->scheme, QLatin1String("Payment"))) {
        return invalidCredential(
            QStringLiteral("The credential is not of the form \"Payment <token>\"."));
    }
    const std::optional<QByteArray> json = decodeBase64Url(parts->token);
    if (!json) {
        return invalidCredential(QStringLiteral("The Payment credential is not base64url."));
    }
    QJsonParseError jsonError{};
    const QJsonDocument document = QJsonDocument::fromJson(*json, &jsonError);
    if (jsonError.error != QJsonParseError::NoError || !document.isObject()) {
        return invalidCredential(QStringLiteral("The Payment credential is not a JSON object."));
    }
    const QJsonObject root = document.object();
    const QJsonValue challenge = root.value(QLatin1String("challenge"));
    const QJsonValue payload = root.value(QLatin1String("payload"));
    if (!challenge.isObject()) {
        return invalidCredential(QStringLiteral("The Payment credential has no challenge."));
    }
    for (const QLatin1String field :
         {QLatin1String("id"), QLatin1String("method"), QLatin1String("intent")}) {
        if (challenge.toObject().value(field).toString().isEmpty()) {
            return invalidCredential(
                QStringLiteral("The Payment credential has no challenge.%1.").arg(field));
        }
    }
    if (!payload.isObject()) {
        return invalidCredential(QStringLiteral("The Payment credential has no payload."));
    }
    return PaymentCredential{challenge.toObject(), root.value(QLatin1String("source")).toString(),
                             payload.toObject()};
}

} // namespace l402::protocol
