#pragma once

#include "core/node/HttpClient.h"
#include "core/node/LightningNode.h"

#include <QDeadlineTimer>
#include <QJsonObject>

namespace l402::node {

// An LNbits wallet through its REST API, with the wallet's admin key in `X-Api-Key`. Plain
// HTTP (a LAN install) or HTTPS (a public CA, or a given CA). Quirks handled, each reproduced
// by tests/support/FakeLnbits (sources: lnbits/core/views/payment_api.py,
// lnbits/core/services/payments.py, lnbits/exceptions.py):
// - `POST /api/v1/payments {"out": true, "bolt11": ...}` answers 201 with the Payment, whose
//   status is "success", or "pending" when the funding source takes longer than
//   lnbits_funding_source_pay_invoice_wait_seconds: then `GET /api/v1/payments/{hash}` is
//   polled until it is final or the payment timeout passes;
// - failures are HTTP 520 {"detail", "status"} (PaymentError): "failed" is final; "pending"
//   (PaymentError's default status, "Payment is still pending.") and "success" ("Payment
//   already paid.") mean LNbits already has this hash: it is tracked, never paid again;
// - `GET /api/v1/payments/{hash}` answers {"paid": true, "preimage"}, {"paid": false,
//   "status": "failed"|"pending"} or 404 "Payment does not exist."; `details.fee` is the
//   fee in msat, negative for outgoing payments;
// - LNbits cannot cap the routing fee of one payment (its fee reserve is a server setting), so
//   the fee is checked after the fact: a payment above maxFeeMsat is still Succeeded (it
//   happened) with a note in failureMessage;
// - `GET /api/v1/wallet` gives the name and balance in msat; LNbits does not say which chain
//   its funding source is on, so the network is configured;
// - a bad key is 401 (403 on some versions); 400 is a request refused before any payment.
// Any other error, a timeout, a dropped or cut-off answer is in flight: lookup() settles it.
class LnbitsNode final : public LightningNode {
public:
    struct Config {
        QUrl url;                              // http://lnbits.lan:5000 or https://...
        QByteArray adminKey;                   // the wallet's admin key
        QList<QSslCertificate> caCertificates; // https: empty trusts the system store
        protocol::Network network = protocol::Network::Bitcoin;
        // How long after the payment timeout LNbits may take to answer.
        std::chrono::milliseconds responseSlack{15'000};
        // How often a pending payment is polled.
        std::chrono::milliseconds pollInterval{1'000};
    };
    explicit LnbitsNode(Config config);

    QString backendName() const override { return QStringLiteral("lnbits"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

private:
    HttpRequest
    request(const QByteArray& method, const QString& path, const QByteArray& body = {},
            std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) const;
    void track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
               std::function<void(PaymentResult)> finish);

    Config m_config;
    HttpClient m_http;
};

// Reads LNbits' `GET /api/v1/payments/{hash}` answer into a PaymentResult.
Result<PaymentResult> lnbitsPaymentStatus(const QJsonObject& status);

} // namespace l402::node
