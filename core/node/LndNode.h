#pragma once

#include "core/node/HttpClient.h"
#include "core/node/LightningNode.h"

namespace l402::node {

// LND over its REST gateway (v0.17+; /v1/channels/transactions is gone since v0.21, so
// payments go through the router's /v2 endpoints). Quirks handled, each with a test against
// tests/support/FakeLnd:
// - /v2/router/send answers newline-delimited JSON {"result": Payment}; with
//   no_inflight_updates the first line is final; int64 fields are JSON strings;
// - an error can arrive as a final {"error": ...} line on HTTP 200;
// - 409 AlreadyExists ("invoice is already paid", "payment is in transition") means the node
//   already has this payment: track it, never pay again;
// - fee_limit_msat and timeout_seconds are always sent (fee 0 means zero-fee routes only);
// - /v2/router/track/{hash} takes base64url of the hash bytes, with padding; 404 "payment
//   isn't initiated" is the definite "never paid";
// - a bad macaroon is HTTP 500 with "verification failed"; the macaroon goes in
//   Grpc-Metadata-macaroon as hex;
// - a "success" whose preimage does not hash to the payment hash is treated as in flight.
// Qt's HTTP stack may resend a POST whose connection dropped before any response byte; LND
// then answers 409 for the hash it already has, which is tracked, so it never pays twice.
class LndNode final : public LightningNode {
public:
    struct Config {
        QUrl url;                              // https://host:8080
        QByteArray macaroon;                   // binary admin (or custom) macaroon
        QList<QSslCertificate> tlsCertificate; // tls.cert: the only trust anchor
        QByteArray spkiPin;                    // alternatively, pin its key
        // How long after the payment timeout LND may take to report the end of a payment
        // before the call counts as in flight.
        std::chrono::milliseconds responseSlack{15'000};
    };
    explicit LndNode(Config config);

    QString backendName() const override { return QStringLiteral("lnd"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

    // lndconnect://host:port?cert=<base64url DER>&macaroon=<base64url>
    static Result<Config> parseLndConnect(const QString& uri);

private:
    HttpRequest
    request(const QByteArray& method, const QString& path, const QByteArray& body = {},
            std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) const;
    void track(const QByteArray& paymentHash, bool waitForFinal, std::chrono::seconds timeout,
               CallHandle outer, std::function<void(Result<PaymentResult>)> done);

    Config m_config;
    HttpClient m_http;
};

// Reads LND's Payment object (REST JSON) into a PaymentResult.
Result<PaymentResult> lndPaymentResult(const QJsonObject& payment);

} // namespace l402::node
