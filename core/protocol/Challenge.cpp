#include "core/protocol/Challenge.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <utility>

namespace l402::protocol {

namespace {

const QString kInvalidChallenge = QStringLiteral("invalid_challenge");

Error invalid(QString message)
{
    return Error{kInvalidChallenge, std::move(message)};
}

bool isAsciiAlphaNumeric(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(char c)
{
    if (isAsciiAlphaNumeric(c)) {
        return true;
    }
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

// RFC 9110 §11.2 token68, without its trailing '=' run.
bool isToken68Char(char c)
{
    return isAsciiAlphaNumeric(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/';
}

bool isOptionalWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
bool isQuotedTextChar(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || byte == ' ' || byte == 0x21 || (byte >= 0x23 && byte <= 0x5B) ||
           (byte >= 0x5D && byte <= 0x7E) || byte >= 0x80;
}

// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
bool isQuotedPairChar(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7F);
}

// No library available to the core parses RFC 9110 §11 challenge lists (QNetworkReply hands
// over raw field values, http-parser stops at framing), so this is a small hand-written
// recursive-descent parser:
//
//   WWW-Authenticate = #challenge
//   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param  = token BWS "=" BWS ( token / quoted-string )
//
// The ambiguity is the comma: it separates the parameters of one challenge and also the
// challenges themselves. After a comma, a token followed by '=' is another parameter of the
// current challenge; any other token starts a new challenge. Every step consumes input or
// fails, so the loop always terminates.
class AuthenticateParser {
public:
    explicit AuthenticateParser(QByteArrayView input)
        : m_input(input)
    {
    }

    Result<QList<AuthChallenge>> parse()
    {
        if (m_input.size() > kMaxAuthenticateHeaderBytes) {
            return invalid(QStringLiteral("The WWW-Authenticate header is longer than %1 bytes.")
                               .arg(kMaxAuthenticateHeaderBytes));
        }
        QList<AuthChallenge> challenges;
        while (true) {
            skipWhitespace();
            if (atEnd()) {
                break;
            }
            if (peek() == ',') { // empty list elements are allowed (RFC 9110 §5.6.1)
                ++m_pos;
                continue;
            }
            if (!isTokenChar(peek())) {
                return unexpectedCharacter();
            }
            const QByteArrayView name = readWhile(isTokenChar);
            const qsizetype afterName = m_pos;
            skipWhitespace();

            if (!atEnd() && peek() == '=') {
                // Another auth-param of the challenge in progress.
                if (challenges.isEmpty()) {
                    return invalid(QStringLiteral(
                        "The WWW-Authenticate header has a parameter before any scheme."));
                }
                if (!challenges.last().token68.isEmpty()) {
                    return invalid(QStringLiteral("The WWW-Authenticate header mixes a token68 "
                                                  "credential with parameters."));
                }
                ++m_pos;
                if (auto failure = readParamValue(challenges.last(), name)) {
                    return *failure;
                }
                if (auto failure = expectElementEnd()) {
                    return *failure;
                }
                continue;
            }

            // A new challenge.
            if (challenges.size() >= kMaxChallengesPerHeader) {
                return invalid(QStringLiteral("The WWW-Authenticate header has more than %1 "
                                              "challenges.")
                                   .arg(kMaxChallengesPerHeader));
            }
            challenges.append(AuthChallenge{QString::fromLatin1(name), {}, {}});
            if (atEnd() || peek() == ',') {
                continue; // a scheme without parameters
            }
            if (m_pos == afterName) {
                return invalid(QStringLiteral("The WWW-Authenticate header has no space after "
                                              "the scheme name."));
            }

            // token68, or the first auth-param.
            const qsizetype start = m_pos;
            if (isToken68Char(peek())) {
                readWhile(isToken68Char);
                readWhile([](char c) { return c == '='; });
                const qsizetype end = m_pos;
                skipWhitespace();
                if (atEnd() || peek() == ',') {
                    challenges.last().token68 =
                        QString::fromLatin1(m_input.sliced(start, end - start));
                    continue;
                }
                m_pos = start;
            }
            if (!isTokenChar(peek())) {
                return unexpectedCharacter();
            }
            const QByteArrayView paramName = readWhile(isTokenChar);
            skipWhitespace();
            if (atEnd() || peek() != '=') {
                return invalid(QStringLiteral("The WWW-Authenticate header has a parameter "
                                              "without '='."));
            }
            ++m_pos;
            if (auto failure = readParamValue(challenges.last(), paramName)) {
                return *failure;
            }
            if (auto failure = expectElementEnd()) {
                return *failure;
            }
        }
        if (challenges.isEmpty()) {
            return invalid(QStringLiteral("The WWW-Authenticate header holds no challenge."));
        }
        return challenges;
    }

private:
    bool atEnd() const { return m_pos >= m_input.size(); }
    char peek() const { return m_input.at(m_pos); }

    void skipWhitespace() { readWhile(isOptionalWhitespace); }

    template <typename Predicate> QByteArrayView readWhile(Predicate predicate)
    {
        const qsizetype start = m_pos;
        while (!atEnd() && predicate(peek())) {
            ++m_pos;
        }
        return m_input.sliced(start, m_pos - start);
    }

    Error unexpectedCharacter() const
    {
        const auto byte = static_cast<unsigned char>(peek());
        if (byte < 0x20 || byte == 0x7F) {
            return invalid(QStringLiteral("The WWW-Authenticate header contains a control "
                                          "character at byte %1.")
                               .arg(m_pos));
        }
        return invalid(
            QStringLiteral("The WWW-Authenticate header has an unexpected character at byte %1.")
                .arg(m_pos));
    }

    std::optional<Error> expectElementEnd()
    {
        skipWhitespace();
        if (atEnd() || peek() == ',') {
            return std::nullopt;
        }
        return invalid(QStringLiteral("The WWW-Authenticate header is missing a comma at byte "
                                      "%1.")
                           .arg(m_pos));
    }

    std::optional<Error> readParamValue(AuthChallenge& challenge, QByteArrayView name)
    {
        skipWhitespace();
        if (atEnd()) {
            return invalid(QStringLiteral("The WWW-Authenticate header has a parameter without "
                                          "a value."));
        }
        QByteArray value;
        if (peek() == '"') {
            ++m_pos;
            bool closed = false;
            while (!atEnd()) {
                const char c = peek();
                if (c == '"') {
                    ++m_pos;
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    ++m_pos;
                    if (atEnd()) {
                        break;
                    }
                    if (!isQuotedPairChar(peek())) {
                        return unexpectedCharacter();
                    }
                    value.append(peek());
                    ++m_pos;
                    continue;
                }
                if (!isQuotedTextChar(c)) {
                    return unexpectedCharacter();
                }
                value.append(c);
                ++m_pos;
            }
            if (!closed) {
                return invalid(QStringLiteral("The WWW-Authenticate header has an unterminated "
                                              "quoted string."));
            }
        } else if (isTokenChar(peek())) {
            // Strictly a token (RFC 9110): unquoted base64 with '/' or '=' is refused, as
            // lsat-js refuses it, rather than guessing where such a value ends.
            value = readWhile(isTokenChar).toByteArray();
        } else {
            return unexpectedCharacter();
        }
        if (challenge.params.size() >= kMaxParamsPerChallenge) {
            return invalid(QStringLiteral("A challenge has more than %1 parameters.")
                               .arg(kMaxParamsPerChallenge));
        }
        challenge.params.append(
            AuthParam{QString::fromLatin1(name).toLower(), QString::fromUtf8(value)});
        return std::nullopt;
    }

    QByteArrayView m_input;
    qsizetype m_pos = 0;
};

int base64UrlValue(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

QString stringMember(const QJsonObject& object, QLatin1String key)
{
    const QJsonValue value = object.value(key);
    return value.isString() ? value.toString() : QString();
}

Error paymentError(const QString& detail)
{
    return invalid(QStringLiteral("The Payment challenge cannot be used: %1.").arg(detail));
}

} // namespace

// ---------------------------------------------------------------------------------------

bool AuthChallenge::schemeIs(QStringView name) const
{
    return QStringView(scheme).compare(name, Qt::CaseInsensitive) == 0;
}

std::optional<QString> AuthChallenge::findParam(QStringView name) const
{
    for (const AuthParam& p : params) {
        if (QStringView(p.name).compare(name, Qt::CaseInsensitive) == 0) {
            return p.value;
        }
    }
    return std::nullopt;
}

QString AuthChallenge::param(QStringView name) const
{
    return findParam(name).value_or(QString());
}

Result<QList<AuthChallenge>> parseAuthenticateHeader(QByteArrayView value)
{
    return AuthenticateParser(value).parse();
}

AuthenticateHeaders parseAuthenticateHeaders(const QList<QByteArray>& headerValues)
{
    AuthenticateHeaders result;
    qsizetype index = 0;
    for (const QByteArray& value : headerValues) {
        if (index++ >= kMaxAuthenticateHeaderValues) {
            result.problems.append(invalid(
                QStringLiteral("The response has more than %1 WWW-Authenticate headers; the "
                               "rest were ignored.")
                    .arg(kMaxAuthenticateHeaderValues)));
            break;
        }
        auto parsed = parseAuthenticateHeader(value);
        if (parsed) {
            result.challenges.append(std::move(parsed).value());
        } else {
            result.problems.append(parsed.error());
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------

bool L402Challenge::isLegacyLsat() const
{
    return scheme.compare(QLatin1String("LSAT"), Qt::CaseInsensitive) == 0;
}

Result<L402Challenge> l402ChallengeFrom(const AuthChallenge& challenge)
{
    const QString scheme = challenge.scheme;
    if (!challenge.schemeIs(u"L402") && !challenge.schemeIs(u"LSAT")) {
        return invalid(QStringLiteral("The challenge is not an L402 challenge."));
    }
    QString macaroon = challenge.param(u"macaroon");
    if (macaroon.isEmpty()) {
        macaroon = challenge.param(u"token");
    }
    if (macaroon.isEmpty()) {
        return invalid(QStringLiteral("The %1 challenge has no macaroon.").arg(scheme));
    }
    const QString invoice = challenge.param(u"invoice");
    if (invoice.isEmpty()) {
        return invalid(QStringLiteral("The %1 challenge has no invoice.").arg(scheme));
    }
    return L402Challenge{scheme, macaroon.toUtf8(), invoice};
}

// ---------------------------------------------------------------------------------------

QByteArray PaymentChallenge::credentialHeaderName() const
{
    return header ? QByteArrayLiteral("Payment-Authorization") : QByteArrayLiteral("Authorization");
}

Result<PaymentChallenge> paymentChallengeFrom(const AuthChallenge& challenge)
{
    if (!challenge.schemeIs(u"Payment")) {
        return invalid(QStringLiteral("The challenge is not a Payment challenge."));
    }
    PaymentChallenge payment;
    struct Required {
        QStringView name;
        QString* target;
    };
    const Required required[] = {{u"id", &payment.id},
                                 {u"realm", &payment.realm},
                                 {u"method", &payment.method},
                                 {u"intent", &payment.intent},
                                 {u"request", &payment.requestB64}};
    for (const Required& field : required) {
        auto value = challenge.findParam(field.name);
        if (!value) {
            return paymentError(QStringLiteral("it has no %1 parameter").arg(field.name));
        }
        *field.target = std::move(*value);
    }
    if (payment.id.isEmpty()) {
        return paymentError(QStringLiteral("its id is empty"));
    }
    payment.expires = challenge.findParam(u"expires");
    payment.description = challenge.findParam(u"description");
    payment.digest = challenge.findParam(u"digest");
    payment.opaque = challenge.findParam(u"opaque");
    payment.header = challenge.findParam(u"header");

    // Method identifiers are lowercase and case-sensitive (draft-httpauth-payment §6).
    if (payment.method != QLatin1String("lightning")) {
        payment.unsupportedReason =
            QStringLiteral("The payment method \"%1\" is not supported.").arg(payment.method);
    } else if (payment.intent != QLatin1String("charge")) {
        payment.unsupportedReason =
            QStringLiteral("The payment intent \"%1\" is not supported.").arg(payment.intent);
    } else if (payment.header && *payment.header != QLatin1String("Payment-Authorization")) {
        // The spec allows only this value; anything else must not be answered.
        payment.unsupportedReason =
            QStringLiteral("The challenge selects an unknown credential header.");
    }
    // The request is decoded even for offers we will not take, so they can be shown.
    const std::optional<QByteArray> requestJson = decodeBase64Url(payment.requestB64.toLatin1());
    QJsonParseError jsonError{};
    const QJsonDocument document =
        requestJson ? QJsonDocument::fromJson(*requestJson, &jsonError) : QJsonDocument();
    const bool requestDecoded =
        requestJson && jsonError.error == QJsonParseError::NoError && document.isObject();
    if (requestDecoded) {
        payment.request = document.object();
        const QJsonObject details =
            payment.request.value(QLatin1String("methodDetails")).toObject();
        payment.invoice = stringMember(details, QLatin1String("invoice"));
        payment.paymentHashHex = stringMember(details, QLatin1String("paymentHash"));
        payment.network = stringMember(details, QLatin1String("network"));
        payment.amount = stringMember(payment.request, QLatin1String("amount"));
        payment.currency = stringMember(payment.request, QLatin1String("currency"));
    }
    if (payment.unsupportedReason.isEmpty()) {
        if (!requestDecoded) {
            payment.unsupportedReason =
                QStringLiteral("The Payment request is not base64url-encoded JSON.");
        } else if (payment.invoice.isEmpty()) {
            payment.unsupportedReason =
                QStringLiteral("The Payment request has no methodDetails.invoice.");
        }
    }
    payment.supported = payment.unsupportedReason.isEmpty();
    return payment;
}

// ---------------------------------------------------------------------------------------

ParsedChallenges parseChallenges(const QList<QByteArray>& wwwAuthenticateValues)
{
    AuthenticateHeaders headers = parseAuthenticateHeaders(wwwAuthenticateValues);
    ParsedChallenges parsed;
    parsed.problems = std::move(headers.problems);
    for (const AuthChallenge& challenge : std::as_const(headers.challenges)) {
        if (challenge.schemeIs(u"L402") || challenge.schemeIs(u"LSAT")) {
            auto l402 = l402ChallengeFrom(challenge);
            if (l402) {
                parsed.l402.append(std::move(l402).value());
            } else {
                parsed.problems.append(l402.error());
            }
        } else if (challenge.schemeIs(u"Payment")) {
            auto payment = paymentChallengeFrom(challenge);
            if (payment) {
                parsed.payment.append(std::move(payment).value());
            } else {
                parsed.problems.append(payment.error());
            }
        }
        // Other schemes are someone else's business.
    }
    return parsed;
}

ParsedChallenges::Preferred ParsedChallenges::preferred() const
{
    for (const L402Challenge& challenge : l402) {
        if (!challenge.isLegacyLsat()) {
            return challenge;
        }
    }
    if (!l402.isEmpty()) {
        return l402.first(); // all of them are LSAT
    }
    for (const PaymentChallenge& challenge : payment) {
        if (challenge.supported) {
            return challenge;
        }
    }
    return std::monostate{};
}

bool ParsedChallenges::hasUsableChallenge() const
{
    return !std::holds_alternative<std::monostate>(preferred());
}

// ---------------------------------------------------------------------------------------

std::optional<QByteArray> decodeBase64Url(QByteArrayView text)
{
    qsizetype length = text.size();
    qsizetype padding = 0;
    while (length > 0 && text.at(length - 1) == '=') {
        --length;
        ++padding;
    }
    if (padding > 0 && (text.size() % 4 != 0 || padding > 2)) {
        return std::nullopt;
    }
    if (length % 4 == 1) {
        return std::nullopt; // a lone trailing character carries less than a byte
    }
    QByteArray out;
    out.reserve(length * 3 / 4);
    quint32 buffer = 0;
    int bits = 0;
    for (qsizetype i = 0; i < length; ++i) {
        const int value = base64UrlValue(text.at(i));
        if (value < 0) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<quint32>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.append(static_cast<char>((buffer >> bits) & 0xFFu));
        }
    }
    // The bits the last character could not fill must be zero, or two spellings decode alike.
    if ((buffer & ((1u << bits) - 1u)) != 0) {
        return std::nullopt;
    }
    if (padding > 0 && (length + padding) / 4 * 3 - padding != out.size()) {
        return std::nullopt;
    }
    return out;
}

QByteArray encodeBase64Url(QByteArrayView bytes)
{
    return bytes.toByteArray().toBase64(QByteArray::Base64UrlEncoding |
                                        QByteArray::OmitTrailingEquals);
}

} // namespace l402::protocol
