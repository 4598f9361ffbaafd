#pragma once

#include "core/http/HttpServer.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace l402::demo {

// One priced resource of the paid API.
struct PaidEndpoint {
    QString path;    // exact path, e.g. "/v1/quote"
    QString service; // Aperture service name, in the services= caveat
    int tier = 0;
    int64_t priceSat = 0;
    QByteArray contentType = "application/json";
    QByteArray body;                        // what a paid request gets
    std::optional<int64_t> validForSeconds; // adds <service>_valid_until when set
    QStringList capabilities;               // adds <service>_capabilities when not empty
    // A hostile server, for the drain guard's tests: it takes the payment and answers 402
    // to the very token it sold.
    bool neverServes = false;
};

// How the 402 answer is spelled; Aperture's default is both an LSAT and an L402 header.
struct ChallengeStyle {
    bool lsatHeader = true;
    bool l402Header = true;
    bool tokenParameter = false; // `token=` instead of `macaroon=` (older servers)
    bool paymentCharge = false;  // also offer an MPP `Payment` lightning charge
    QString realm = QStringLiteral("l402-wallet-demo");
};

struct IssuedInvoice {
    QString invoice;
    QByteArray paymentHash;
};

// An L402 server that behaves like Aperture in front of a few priced endpoints: a request
// without a valid credential gets `402 Payment Required` with fresh challenges (a macaroon
// whose identifier binds the invoice's payment hash and a random token id, minted under a
// per-token root key, with Aperture's services/valid_until/capabilities caveats), CORS
// headers, `Cache-Control: no-store` and the body "payment required"; a request with
// `Authorization: L402|LSAT <macaroon>:<preimage>` is served when the macaroon verifies under
// its root key, the preimage hashes to the identifier's payment hash, the services caveat
// admits the endpoint's service and no valid_until has passed. An MPP Payment credential is
// accepted once. Invoices come from `invoicer`: the demo node's payee under --demo, a node
// double's payee in tests.
class PaidApiServer : public QObject {
    Q_OBJECT
public:
    using Invoicer = std::function<Result<IssuedInvoice>(int64_t amountMsat, const QString&)>;

    PaidApiServer(Invoicer invoicer, const Clock& clock, QObject* parent = nullptr);

    void addEndpoint(PaidEndpoint endpoint);
    void setChallengeStyle(ChallengeStyle style) { m_style = std::move(style); }
    // The endpoints of the built-in demo (a quote, a joke, a weather report, a dataset).
    void addDemoEndpoints();

    http::HttpServer& http() { return m_http; }
    [[nodiscard]] bool listen(quint16 port = 0)
    {
        return m_http.listen(QHostAddress::LocalHost, port);
    }
    QUrl url(const QString& path) const { return m_http.url(path); }

    int challengesIssued() const { return m_challengesIssued; }
    int paidRequestsServed() const { return m_paidRequestsServed; }
    int credentialsRejected() const { return m_credentialsRejected; }
    QList<PaidEndpoint> endpoints() const { return m_endpoints.values(); }

private:
    void handle(const http::HttpRequest& request, http::HttpResponder& responder);
    void answerIndex(http::HttpResponder& responder) const;
    // Empty when the request carries a credential this endpoint accepts; else why not.
    std::optional<QString> rejectionOf(const http::HttpRequest& request,
                                       const PaidEndpoint& endpoint);
    std::optional<QString> checkL402(QByteArrayView value, const PaidEndpoint& endpoint) const;
    std::optional<QString> checkPayment(QByteArrayView value);
    void challenge(const PaidEndpoint& endpoint, http::HttpResponder& responder);

    struct MppChallenge {
        QByteArray paymentHash;
        bool used = false;
    };

    Invoicer m_invoicer;
    const Clock& m_clock;
    http::HttpServer m_http;
    ChallengeStyle m_style;
    QHash<QString, PaidEndpoint> m_endpoints;
    QHash<QByteArray, QByteArray> m_rootKeys; // token id -> root key
    QHash<QString, MppChallenge> m_mppChallenges;
    int m_challengesIssued = 0;
    int m_paidRequestsServed = 0;
    int m_credentialsRejected = 0;
};

} // namespace l402::demo
