#pragma once

#include "core/node/HttpClient.h"
#include "core/node/LightningNode.h"

#include <QDeadlineTimer>
#include <QJsonObject>

namespace l402::node {

// Core Lightning over clnrest, the REST plugin shipped with lightningd (plugins/rest-plugin).
// Quirks handled, each reproduced by tests/support/FakeCln:
// - every JSON-RPC method is `POST /v1/<method>` with the params as a JSON object and the rune
//   in a `Rune` header; success is HTTP 201 (plugins/rest-plugin/src/shared.rs,
//   generate_response: StatusCode::CREATED);
// - a missing rune is 403 {code 1501}; a rune that checkrune refuses is 401 (handlers.rs
//   AppError::Unauthorized/Forbidden); every RPC error is HTTP 500 with the JSON-RPC error
//   object {code, message, data} (404 for -32601, unknown method);
// - pay takes `maxfee` (msat, absolute; it excludes maxfeepercent/exemptfee) and `retry_for`
//   (seconds, u16), and only answers once every part has resolved (doc/schemas/pay.json), so
//   its documented errors are final: 203 permanent failure at destination, 205 no route, 206
//   too expensive, 207 invoice expired, 210 "timed out without a payment in progress";
// - a hash the node already has: pay of a completed one "will succeed immediately" with the
//   old preimage; a pending one is 200 PAY_IN_PROGRESS; 201 PAY_RHASH_ALREADY_USED (other
//   amount or destination) and 219 (xpay's injectpaymentonion "already paid") also mean the
//   node has it (as does xpay's 218 "Already paid this invoice successfully"): tracked
//   with listpays, never paid again;
// - `listpays {payment_hash}` may list several attempts (failed, then complete); "pays": []
//   is the definite "never paid";
// - msat fields are integers in current releases and "<n>msat" strings in older ones: both
//   are read;
// - balance is the sum of `our_amount_msat` over channels in CHANNELD_NORMAL (and
//   CHANNELD_AWAITING_SPLICE) from listfunds: closing channels are not spendable;
// - clnrest's own CA (ca.pem) is the trust anchor for its server.pem (SANs "cln",
//   "localhost" and the clnrest-host IP); a key pin is the alternative for other names.
// Any other error, a timeout, a dropped or cut-off answer is in flight: lookup() settles it.
class ClnNode final : public LightningNode {
public:
    struct Config {
        QUrl url;                              // https://host:3010
        QByteArray rune;                       // a rune allowing pay, listpays, getinfo, listfunds
        QList<QSslCertificate> caCertificates; // clnrest's ca.pem: the only trust anchor
        QByteArray spkiPin;                    // alternatively, pin server.pem's key
        // How long after retry_for the node may take to answer before the call counts as in
        // flight (pay waits for every part to resolve).
        std::chrono::milliseconds responseSlack{15'000};
        // How often a payment the node already has is looked up while it is pending.
        std::chrono::milliseconds pollInterval{500};
    };
    explicit ClnNode(Config config);

    QString backendName() const override { return QStringLiteral("cln"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

private:
    HttpRequest rpc(const QString& method, const QJsonObject& params,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) const;
    CallHandle listpays(const QByteArray& paymentHash,
                        std::function<void(Result<PaymentResult>)> done);
    void track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
               std::function<void(PaymentResult)> finish);

    Config m_config;
    HttpClient m_http;
};

// Reads one `pay` answer (HTTP 201 body) into a PaymentResult.
Result<PaymentResult> clnPayResult(const QJsonObject& pay);
// Reads a `listpays` answer for `paymentHash`; node_error::kNotFound when it lists nothing.
Result<PaymentResult> clnListpaysResult(const QJsonObject& listpays, const QByteArray& paymentHash);

} // namespace l402::node
