#include "core/demo/PaidApiServer.h"

#include "core/crypto/Digest.h"
#include "core/protocol/Challenge.h"
#include "core/protocol/Macaroon.h"
#include "core/protocol/PaymentCredential.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace l402::demo {
namespace {

using http::HttpHeaders;

constexpr qsizetype kTokenIdBytes = 32;
constexpr qsizetype kRootKeyBytes = 32;
const QString kMacaroonLocation = QStringLiteral("lsat"); // what Aperture mints

void addCorsHeaders(HttpHeaders& headers)
{
    // Aperture's addCorsHeaders: browsers may read the challenge from another origin.
    headers.emplaceBack("Access-Control-Allow-Origin", "*");
    headers.emplaceBack("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    headers.emplaceBack("Access-Control-Expose-Headers", "WWW-Authenticate");
    headers.emplaceBack("Access-Control-Allow-Headers",
                        "Authorization, Grpc-Metadata-macaroon, WWW-Authenticate");
}

QByteArray quoted(QByteArrayView value)
{
    QByteArray out = "\"";
    out += value;
    out += '"';
    return out;
}

} // namespace

PaidApiServer::PaidApiServer(Invoicer invoicer, const Clock& clock, QObject* parent)
    : QObject(parent)
    , m_invoicer(std::move(invoicer))
    , m_clock(clock)
{
    m_http.setRecording(false);
    m_http.setFallback([this](const http::HttpRequest& request, http::HttpResponder& responder) {
        handle(request, responder);
    });
}

void PaidApiServer::addEndpoint(PaidEndpoint endpoint)
{
    m_endpoints.insert(endpoint.path, std::move(endpoint));
}

void PaidApiServer::addDemoEndpoints()
{
    auto json = [](const QJsonObject& object) {
        return QJsonDocument(object).toJson(QJsonDocument::Compact);
    };
    addEndpoint({QStringLiteral("/v1/quote"),
                 QStringLiteral("quotes"),
                 0,
                 21,
                 "application/json",
                 json({{QStringLiteral("quote"),
                        QStringLiteral("The best way to predict the future is to invent it.")},
                       {QStringLiteral("author"), QStringLiteral("Alan Kay")}}),
                 3600,
                 {}});
    addEndpoint({QStringLiteral("/v1/joke"),
                 QStringLiteral("jokes"),
                 0,
                 5,
                 "application/json",
                 json({{QStringLiteral("joke"),
                        QStringLiteral("Why did the macaroon cross the road? It had a caveat "
                                       "on the other side.")}}),
                 std::nullopt,
                 {}});
    addEndpoint({QStringLiteral("/v1/weather"),
                 QStringLiteral("weather"),
                 1,
                 100,
                 "application/json",
                 json({{QStringLiteral("city"), QStringLiteral("Demo City")},
                       {QStringLiteral("temperature_c"), 21},
                       {QStringLiteral("sky"), QStringLiteral("clear")}}),
                 86400,
                 {QStringLiteral("read")}});
    QByteArray dataset;
    dataset.reserve(64 * 1024);
    for (int row = 0; row < 2048; ++row) {
        dataset += QByteArray::number(row) + ',' + QByteArray::number(row * row) + '\n';
    }
    addEndpoint({QStringLiteral("/v1/dataset.csv"),
                 QStringLiteral("datasets"),
                 2,
                 1000,
                 "text/csv",
                 dataset,
                 std::nullopt,
                 {}});
}

void PaidApiServer::handle(const http::HttpRequest& request, http::HttpResponder& responder)
{
    if (request.method == "OPTIONS") {
        HttpHeaders headers;
        addCorsHeaders(headers);
        responder.reply(200, headers);
        return;
    }
    if (request.path == QLatin1String("/") && request.method == "GET") {
        answerIndex(responder);
        return;
    }
    const auto found = m_endpoints.constFind(request.path);
    if (found == m_endpoints.constEnd()) {
        responder.reply(404, {{"Content-Type", "text/plain; charset=utf-8"}}, "not found\n");
        return;
    }
    const PaidEndpoint& endpoint = found.value();
    if (const auto rejection = rejectionOf(request, endpoint)) {
        if (!rejection->isEmpty()) {
            ++m_credentialsRejected;
        }
        challenge(endpoint, responder);
        return;
    }
    if (endpoint.neverServes) {
        ++m_credentialsRejected; // a valid token, refused all the same
        challenge(endpoint, responder);
        return;
    }
    ++m_paidRequestsServed;
    responder.reply(200, {{"Content-Type", endpoint.contentType}}, endpoint.body);
}

void PaidApiServer::answerIndex(http::HttpResponder& responder) const
{
    QJsonArray list;
    for (const PaidEndpoint& endpoint : m_endpoints) {
        list.append(
            QJsonObject{{QStringLiteral("path"), endpoint.path},
                        {QStringLiteral("service"), endpoint.service},
                        {QStringLiteral("price_sat"), static_cast<qint64>(endpoint.priceSat)}});
    }
    responder.replyJson(
        200, QJsonDocument(QJsonObject{
                 {QStringLiteral("name"), QStringLiteral("L402 Wallet demo API")},
                 {QStringLiteral("note"), QStringLiteral("Simulated: paid with demo funds only.")},
                 {QStringLiteral("endpoints"), list}}));
}

std::optional<QString> PaidApiServer::rejectionOf(const http::HttpRequest& request,
                                                  const PaidEndpoint& endpoint)
{
    const QList<QByteArray> values = request.headerValues("Authorization");
    if (values.isEmpty()) {
        return QString(); // no credential: a plain challenge, nothing rejected
    }
    // Like Aperture: one credential; a request that carries several is not guessed at.
    if (values.size() != 1) {
        return QStringLiteral("more than one Authorization header");
    }
    const QByteArray value = values.first().trimmed();
    const qsizetype space = value.indexOf(' ');
    const QByteArray scheme = value.left(space).toLower();
    if (scheme == "l402" || scheme == "lsat") {
        return checkL402(value, endpoint);
    }
    if (scheme == "payment" && m_style.paymentCharge) {
        return checkPayment(value);
    }
    return QStringLiteral("unsupported scheme");
}

std::optional<QString> PaidApiServer::checkL402(QByteArrayView value,
                                                const PaidEndpoint& endpoint) const
{
    auto credential = protocol::parseL402AuthorizationValue(value);
    if (!credential) {
        return credential.error().message;
    }
    auto macaroon = protocol::Macaroon::fromBinary(credential->macaroon);
    if (!macaroon) {
        return macaroon.error().message;
    }
    auto identifier = protocol::L402Identifier::parse(macaroon->identifier());
    if (!identifier) {
        return identifier.error().message;
    }
    const QByteArray rootKey = m_rootKeys.value(identifier->tokenId);
    if (rootKey.isEmpty() || !macaroon->verifySignature(rootKey)) {
        return QStringLiteral("macaroon signature does not verify");
    }
    if (!crypto::constantTimeEquals(crypto::sha256(credential->preimage),
                                    identifier->paymentHash)) {
        return QStringLiteral("preimage does not match the payment hash");
    }
    const auto caveats = protocol::ApertureCaveats::fromMacaroon(*macaroon);
    const bool serviceAllowed = std::any_of(
        caveats.services.cbegin(), caveats.services.cend(),
        [&](const protocol::ServiceTier& tier) { return tier.name == endpoint.service; });
    if (!serviceAllowed) {
        return QStringLiteral("service not in the token");
    }
    for (const auto& [service, until] : caveats.validUntil) {
        if (service == endpoint.service && m_clock.nowSeconds() > until) {
            return QStringLiteral("token expired");
        }
    }
    return std::nullopt;
}

std::optional<QString> PaidApiServer::checkPayment(QByteArrayView value)
{
    auto credential = protocol::parsePaymentAuthorizationValue(value);
    if (!credential) {
        return credential.error().message;
    }
    const QString id = credential->challenge.value(QLatin1String("id")).toString();
    auto found = m_mppChallenges.find(id);
    if (found == m_mppChallenges.end() || found->used) {
        return QStringLiteral("unknown or used challenge");
    }
    const QByteArray preimage = QByteArray::fromHex(
        credential->payload.value(QLatin1String("preimage")).toString().toLatin1());
    if (!crypto::constantTimeEquals(crypto::sha256(preimage), found->paymentHash)) {
        return QStringLiteral("preimage does not match the payment hash");
    }
    found->used = true; // a charge credential is single use
    return std::nullopt;
}

void PaidApiServer::challenge(const PaidEndpoint& endpoint, http::HttpResponder& responder)
{
    const QString description =
        QStringLiteral("%1 (%2 sat)").arg(endpoint.service).arg(endpoint.priceSat);
    auto issued = m_invoicer(endpoint.priceSat * 1000, description);
    if (!issued) {
        // Aperture: "challenge failure" with 500 when no invoice can be made.
        responder.reply(500, {{"Content-Type", "text/plain; charset=utf-8"}},
                        "challenge failure\n");
        return;
    }
    ++m_challengesIssued;
    HttpHeaders headers;
    addCorsHeaders(headers);
    headers.emplaceBack("Cache-Control", "no-store");

    if (m_style.lsatHeader || m_style.l402Header) {
        protocol::L402Identifier identifier;
        identifier.paymentHash = issued->paymentHash;
        identifier.tokenId = crypto::randomBytes(kTokenIdBytes);
        const QByteArray rootKey = crypto::randomBytes(kRootKeyBytes);
        m_rootKeys.insert(identifier.tokenId, rootKey);
        auto macaroon = protocol::Macaroon::mint(rootKey, identifier.encode(), kMacaroonLocation)
                            .withFirstPartyCaveat(QStringLiteral("services=%1:%2")
                                                      .arg(endpoint.service)
                                                      .arg(endpoint.tier)
                                                      .toUtf8());
        if (!endpoint.capabilities.isEmpty()) {
            macaroon = macaroon.withFirstPartyCaveat(
                QStringLiteral("%1_capabilities=%2")
                    .arg(endpoint.service, endpoint.capabilities.join(u','))
                    .toUtf8());
        }
        if (endpoint.validForSeconds) {
            macaroon = macaroon.withFirstPartyCaveat(
                QStringLiteral("%1_valid_until=%2")
                    .arg(endpoint.service)
                    .arg(m_clock.nowSeconds() + *endpoint.validForSeconds)
                    .toUtf8());
        }
        const QByteArray name = m_style.tokenParameter ? "token=" : "macaroon=";
        const QByteArray params =
            name + quoted(macaroon.toBase64()) + ", invoice=" + quoted(issued->invoice.toLatin1());
        if (m_style.lsatHeader) {
            headers.emplaceBack("WWW-Authenticate", QByteArray("LSAT ") + params);
        }
        if (m_style.l402Header) {
            headers.emplaceBack("WWW-Authenticate", QByteArray("L402 ") + params);
        }
    }
    if (m_style.paymentCharge) {
        const QString id = QString::fromLatin1(crypto::randomBytes(16).toHex());
        m_mppChallenges.insert(id, {issued->paymentHash, false});
        const QJsonObject request{
            {QStringLiteral("amount"), QString::number(endpoint.priceSat)},
            {QStringLiteral("currency"), QStringLiteral("sat")},
            {QStringLiteral("methodDetails"),
             QJsonObject{
                 {QStringLiteral("invoice"), issued->invoice},
                 {QStringLiteral("paymentHash"), QString::fromLatin1(issued->paymentHash.toHex())},
                 {QStringLiteral("network"), QStringLiteral("regtest")}}}};
        const QByteArray encoded =
            protocol::encodeBase64Url(QJsonDocument(request).toJson(QJsonDocument::Compact));
        headers.emplaceBack(
            "WWW-Authenticate",
            QByteArray("Payment id=") + quoted(id.toLatin1()) +
                ", realm=" + quoted(m_style.realm.toUtf8()) +
                ", method=\"lightning\", intent=\"charge\", request=" + quoted(encoded));
    }
    headers.emplaceBack("Content-Type", "text/plain; charset=utf-8");
    headers.emplaceBack("X-Content-Type-Options", "nosniff");
    responder.reply(402, headers, "payment required\n");
}

} // namespace l402::demo
