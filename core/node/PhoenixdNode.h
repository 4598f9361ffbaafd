#pragma once

#include "core/node/HttpClient.h"
#include "core/node/LightningNode.h"

#include <QDeadlineTimer>
#include <QJsonObject>

namespace l402::node {

// ACINQ's phoenixd through its HTTP API (plain HTTP on 127.0.0.1:9740 by default). Quirks
// handled, each reproduced by tests/support/FakePhoenixd (sources: phoenixd Api.kt and
// json/JsonSerializers.kt, lightning-kmp FinalFailure):
// - HTTP Basic with an empty user name and the http-password from phoenix.conf; a wrong one
//   is 401 with a plain-text body;
// - request bodies are forms (application/x-www-form-urlencoded), answers JSON;
// - `POST /payinvoice` (invoice=...) blocks until the payment is final and answers HTTP 200
//   either way: {recipientAmountSat, routingFeeSat, paymentId, paymentHash, paymentPreimage}
//   or {paymentHash, reason} with no preimage. "this invoice has already been paid" and
//   "another payment is in progress for that invoice" mean phoenixd has the hash: it is
//   tracked, never paid again;
// - phoenixd cannot cap fees (no such parameter): the fee is checked after the payment and an
//   overshoot is reported on the Succeeded result (failureMessage), since the money moved;
// - routingFeeSat is truncated to whole sats; `GET /payments/outgoingbyhash/{hash}` has the
//   fee in msat ("fees") and is asked for it after a success;
// - that lookup's `isPaid` is `completedAt != null` in several releases, true for a *failed*
//   payment too: only a preimage proves success, a completion without one is a failure; 404
//   is "never paid";
// - `/getinfo` has nodeId and chain ("mainnet", "testnet3", "testnet4", "signet", "regtest")
//   but no alias; `/getbalance` has balanceSat (truncated to sats; feeCreditSat is not
//   spendable).
// Any other error, a timeout, a dropped or cut-off answer is in flight: lookup() settles it.
class PhoenixdNode final : public LightningNode {
public:
    struct Config {
        QUrl url;                              // http://127.0.0.1:9740
        QByteArray password;                   // http-password from ~/.phoenix/phoenix.conf
        QList<QSslCertificate> caCertificates; // when behind a TLS proxy; empty: system store
        // How long after the payment timeout phoenixd may take to answer /payinvoice.
        std::chrono::milliseconds responseSlack{15'000};
        std::chrono::milliseconds pollInterval{1'000};
    };
    explicit PhoenixdNode(Config config);

    QString backendName() const override { return QStringLiteral("phoenixd"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

private:
    HttpRequest
    request(const QByteArray& method, const QString& path, const QByteArray& form = {},
            std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) const;
    void track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
               std::function<void(PaymentResult)> finish);

    Config m_config;
    HttpClient m_http;
};

// Reads `GET /payments/outgoingbyhash/{hash}` (an object, or a list of attempts).
Result<PaymentResult> phoenixdOutgoingResult(const QJsonValue& outgoing);

} // namespace l402::node
