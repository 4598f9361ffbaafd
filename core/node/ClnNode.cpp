#include "core/node/ClnNode.h"
#include "core/node/PaymentChecks.h"
#include "core/node/PaymentPolling.h"

#include "core/crypto/Digest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>
#include <optional>

namespace l402::node {
namespace {

Error protocolError(const QString& what)
{
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("Core Lightning sent an unexpected answer: %1.").arg(what)};
}

// clnrest answers an error with the JSON-RPC error object itself: {"code": 205, "message":
// "...", "data": {...}} (plugins/rest-plugin/src/handlers.rs, `Json(json!(error_message))`);
// the older Python clnrest wrapped it as {"error": {...}}. `code` is absent when lightningd
// could not be reached at all.
struct ClnError {
    std::optional<int> code;
    QString message;
};

ClnError clnError(const QByteArray& body)
{
    QJsonObject json = QJsonDocument::fromJson(body).object();
    if (json.value(QStringLiteral("error")).isObject()) {
        json = json.value(QStringLiteral("error")).toObject();
    }
    ClnError error;
    if (json.value(QStringLiteral("code")).isDouble()) {
        error.code = json.value(QStringLiteral("code")).toInt();
    }
    error.message = json.value(QStringLiteral("message")).toString();
    if (error.message.isEmpty()) {
        error.message = QString::fromUtf8(body.left(200)).simplified();
    }
    return error;
}

bool isAuthFailure(int status)
{
    return status == 401 || status == 403;
}

Error httpError(int status, const QByteArray& body)
{
    const ClnError error = clnError(body);
    if (isAuthFailure(status)) {
        return Error{QLatin1String(node_error::kUnauthorized),
                     QStringLiteral("Core Lightning refused the rune: %1").arg(error.message)};
    }
    return Error{
        QLatin1String(node_error::kProtocol),
        QStringLiteral("Core Lightning answered HTTP %1: %2").arg(status).arg(error.message)};
}

// msat fields are JSON integers in current releases; older ones wrote strings such as
// "1000msat".
int64_t msatValue(const QJsonValue& value)
{
    if (value.isString()) {
        QString text = value.toString();
        if (text.endsWith(QLatin1String("msat"))) {
            text.chop(4);
        }
        return text.toLongLong();
    }
    return value.toInteger();
}

QString hashHex(const QByteArray& paymentHash)
{
    return QString::fromLatin1(paymentHash.toHex());
}

QJsonObject parseObject(const HttpResponse& response, bool* ok)
{
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &parseError);
    *ok = parseError.error == QJsonParseError::NoError && document.isObject();
    return document.object();
}

std::optional<protocol::Network> clnNetwork(QString name)
{
    // lightningd's getinfo: "bitcoin", "testnet", "testnet4", "signet", "regtest".
    if (name == QLatin1String("testnet4") || name == QLatin1String("testnet3")) {
        name = QStringLiteral("testnet");
    }
    return protocol::networkFromName(name);
}

} // namespace

Result<PaymentResult> clnPayResult(const QJsonObject& pay)
{
    const QString status = pay.value(QStringLiteral("status")).toString();
    // xpay's own answer (xpay.json) has no status: its payment_preimage is the success, and
    // the caller checks it against the hash.
    const bool xpaySuccess =
        !pay.contains(QStringLiteral("status")) && pay.contains(QStringLiteral("payment_preimage"));
    if (status == QLatin1String("complete") || xpaySuccess) {
        const QByteArray preimage = QByteArray::fromHex(
            pay.value(QStringLiteral("payment_preimage")).toString().toLatin1());
        if (preimage.size() != 32) {
            return Result<PaymentResult>(
                protocolError(QStringLiteral("a completed payment without a 32-byte preimage")));
        }
        PaymentResult result;
        result.outcome = PaymentResult::Outcome::Succeeded;
        result.preimage = preimage;
        // pay.json: amount_msat reached the recipient, amount_sent_msat includes the fees.
        result.feeMsat =
            std::max<int64_t>(0, msatValue(pay.value(QStringLiteral("amount_sent_msat"))) -
                                     msatValue(pay.value(QStringLiteral("amount_msat"))));
        return result;
    }
    if (status == QLatin1String("failed")) {
        return PaymentResult::failed(QStringLiteral("payment_failed"),
                                     QStringLiteral("Core Lightning reports the payment failed."));
    }
    // "pending" (some parts still in flight) or anything unknown.
    return PaymentResult::inFlight(
        QStringLiteral("Core Lightning reports the payment still pending."));
}

Result<PaymentResult> clnListpaysResult(const QJsonObject& listpays, const QByteArray& paymentHash)
{
    if (!listpays.value(QStringLiteral("pays")).isArray()) {
        return Result<PaymentResult>(protocolError(QStringLiteral("listpays without pays")));
    }
    // listpays combines listsendpays by attempt group: one hash may show a failed attempt
    // and a later complete one. Any complete attempt wins; then any pending one.
    bool pending = false;
    bool failed = false;
    std::optional<PaymentResult> complete;
    for (const QJsonValue& entry : listpays.value(QStringLiteral("pays")).toArray()) {
        const QJsonObject pay = entry.toObject();
        const QString hash = pay.value(QStringLiteral("payment_hash")).toString();
        if (!hash.isEmpty() && hash.compare(hashHex(paymentHash), Qt::CaseInsensitive) != 0) {
            continue;
        }
        const QString status = pay.value(QStringLiteral("status")).toString();
        if (status == QLatin1String("complete")) {
            PaymentResult result;
            result.outcome = PaymentResult::Outcome::Succeeded;
            result.preimage =
                QByteArray::fromHex(pay.value(QStringLiteral("preimage")).toString().toLatin1());
            if (pay.contains(QStringLiteral("amount_msat"))) {
                result.feeMsat =
                    std::max<int64_t>(0, msatValue(pay.value(QStringLiteral("amount_sent_msat"))) -
                                             msatValue(pay.value(QStringLiteral("amount_msat"))));
            }
            complete = result;
        } else if (status == QLatin1String("failed")) {
            failed = true;
        } else {
            pending = true;
        }
    }
    if (complete) {
        return *complete;
    }
    if (pending) {
        return PaymentResult::inFlight(
            QStringLiteral("Core Lightning reports the payment still pending."));
    }
    if (failed) {
        return PaymentResult::failed(QStringLiteral("payment_failed"),
                                     QStringLiteral("Core Lightning reports the payment failed."));
    }
    return Result<PaymentResult>::failure(
        QLatin1String(node_error::kNotFound),
        QStringLiteral("Core Lightning has no payment for this hash."));
}

namespace {

// The pay plugin's and xpay's answers for a hash the node is paying or has paid
// (common/jsonrpc_errors.h): 200 PAY_IN_PROGRESS, 201 PAY_RHASH_ALREADY_USED, 219
// PAY_INJECTPAYMENTONION_ALREADY_PAID; xpay passes injectpaymentonion's 200 on as -3
// "Unexpected injectpaymentonion error 200: ..." and its 219 as 218 "Already paid this
// invoice successfully" (plugins/xpay/xpay.c).
bool nodeHasThisPayment(const ClnError& error)
{
    const int code = error.code.value_or(0);
    if (code == 200 || code == 201 || code == 219) {
        return true;
    }
    return error.message.contains(QLatin1String("already paid"), Qt::CaseInsensitive) ||
           error.message.contains(QLatin1String("injectpaymentonion error 200")) ||
           error.message.contains(QLatin1String("in progress"), Qt::CaseInsensitive);
}

// pay's and xpay's failure codes, as stable failure codes; nullopt for an error that is not a
// payment failure at all.
std::optional<PaymentResult> clnPayFailure(const ClnError& error)
{
    const auto failed = [&](const char* code, const QString& what) {
        return PaymentResult::failed(QLatin1String(code), what.arg(error.message));
    };
    switch (error.code.value_or(0)) {
    case 203: // PAY_DESTINATION_PERM_FAIL
        return failed("payment_rejected", QStringLiteral("The recipient refused the payment: %1"));
    case 205: // PAY_ROUTE_NOT_FOUND
        return failed("no_route", QStringLiteral("Core Lightning found no route: %1"));
    case 206: // PAY_ROUTE_TOO_EXPENSIVE
        return failed("fee_limit_exceeded",
                      QStringLiteral("Every route costs more than the fee limit: %1"));
    case 207: // PAY_INVOICE_EXPIRED
        return failed("invoice_expired",
                      QStringLiteral("The invoice expired before it was paid: %1"));
    case 209: // PAY_STOPPED_RETRYING: xpay's "Failed after N attempts" and its timeout
        return failed("payment_failed", QStringLiteral("Core Lightning gave up: %1"));
    case 210: // PAY_STATUS_UNEXPECTED: pay's retry_for ran out with nothing in progress
        return failed("timeout",
                      QStringLiteral("Core Lightning gave up without a payment in progress: %1"));
    default:
        return std::nullopt;
    }
}

} // namespace

ClnNode::ClnNode(Config config)
    : m_config(std::move(config))
    , m_http(TlsTrust{m_config.caCertificates, m_config.spkiPin})
{
}

HttpRequest ClnNode::rpc(const QString& method, const QJsonObject& params,
                         std::chrono::milliseconds timeout) const
{
    HttpRequest request;
    request.method = "POST";
    request.url = m_config.url.resolved(QUrl(QStringLiteral("/v1/%1").arg(method)));
    request.headers.append({QByteArrayLiteral("Rune"), m_config.rune});
    request.headers.append(
        {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    request.body = QJsonDocument(params).toJson(QJsonDocument::Compact);
    request.timeout = timeout;
    return request;
}

CallHandle ClnNode::info(std::function<void(Result<NodeInfo>)> done)
{
    return m_http.send(rpc(QStringLiteral("getinfo"), {}), [done](Result<HttpResponse> response) {
        if (!response) {
            done(Result<NodeInfo>(response.error()));
            return;
        }
        if (response->status != 201) {
            done(Result<NodeInfo>(httpError(response->status, response->body)));
            return;
        }
        bool ok = false;
        const QJsonObject json = parseObject(response.value(), &ok);
        NodeInfo info;
        info.backend = QStringLiteral("cln");
        info.alias = json.value(QStringLiteral("alias")).toString();
        info.pubkey = QByteArray::fromHex(json.value(QStringLiteral("id")).toString().toLatin1());
        const auto network = clnNetwork(json.value(QStringLiteral("network")).toString());
        if (!ok || info.pubkey.size() != 33 || !network) {
            done(Result<NodeInfo>(
                protocolError(QStringLiteral("getinfo without an id or network"))));
            return;
        }
        info.network = *network;
        done(info);
    });
}

CallHandle ClnNode::balance(std::function<void(Result<Balance>)> done)
{
    return m_http.send(rpc(QStringLiteral("listfunds"), {}), [done](Result<HttpResponse> response) {
        if (!response) {
            done(Result<Balance>(response.error()));
            return;
        }
        if (response->status != 201) {
            done(Result<Balance>(httpError(response->status, response->body)));
            return;
        }
        bool ok = false;
        const QJsonObject json = parseObject(response.value(), &ok);
        if (!ok || !json.value(QStringLiteral("channels")).isArray()) {
            done(Result<Balance>(protocolError(QStringLiteral("listfunds without channels"))));
            return;
        }
        // listfunds.json: our_amount_msat is "available on our node's end of the channel";
        // only a channel in normal operation can send.
        Balance balance;
        for (const QJsonValue& entry : json.value(QStringLiteral("channels")).toArray()) {
            const QJsonObject channel = entry.toObject();
            const QString state = channel.value(QStringLiteral("state")).toString();
            if (state == QLatin1String("CHANNELD_NORMAL") ||
                state == QLatin1String("CHANNELD_AWAITING_SPLICE")) {
                balance.spendableMsat +=
                    msatValue(channel.value(QStringLiteral("our_amount_msat")));
            }
        }
        done(balance);
    });
}

CallHandle ClnNode::pay(const PayRequest& payRequest, std::function<void(PaymentResult)> done)
{
    // retry_for is a u16 in pay.json.
    const qint64 retryFor = std::clamp<qint64>(payRequest.timeout.count(), 1, 65'535);
    const QJsonObject params{
        {QStringLiteral("bolt11"), payRequest.invoice},
        // An absolute cap in msat; 0 means zero-fee routes only. It replaces maxfeepercent
        // and exemptfee, which must then not be sent.
        {QStringLiteral("maxfee"), qint64(payRequest.maxFeeMsat)},
        {QStringLiteral("retry_for"), retryFor},
    };
    CallHandle outer;
    auto finished = std::make_shared<bool>(false);
    const QByteArray hash = payRequest.paymentHash;
    auto finish = [finished, done, outer, hash](PaymentResult result) {
        result = requirePreimageOf(std::move(result), hash, QStringLiteral("Core Lightning"));
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    const auto httpTimeout =
        std::chrono::milliseconds(std::chrono::seconds(retryFor)) + m_config.responseSlack;
    const std::chrono::seconds timeout = payRequest.timeout;
    const HttpRequest payCall = rpc(QStringLiteral("pay"), params, httpTimeout);
    m_http.send(payCall, [this, finish, hash, timeout, outer](Result<HttpResponse> response) {
        if (outer.cancelled()) {
            return;
        }
        if (!response) {
            // Timeout, refused or dropped connection: the payment may be anywhere.
            finish(PaymentResult::inFlight(response.error().message));
            return;
        }
        const int status = response->status;
        if (status == 201) {
            bool ok = false;
            const QJsonObject json = parseObject(response.value(), &ok);
            if (!ok) {
                finish(PaymentResult::inFlight(QStringLiteral(
                    "Core Lightning's answer to pay was cut off or unreadable; the payment may "
                    "have gone through.")));
                return;
            }
            auto result = clnPayResult(json);
            finish(result ? result.value() : PaymentResult::inFlight(result.error().message));
            return;
        }
        if (isAuthFailure(status)) {
            // clnrest checks the rune before calling lightningd: nothing was paid.
            finish(PaymentResult::failed(QLatin1String(node_error::kUnauthorized),
                                         httpError(status, response->body).message));
            return;
        }
        const ClnError error = clnError(response->body);
        if (status == 404) {
            // -32601: this clnrest has no such method; nothing was sent.
            finish(PaymentResult::failed(
                QStringLiteral("payment_rejected"),
                QStringLiteral("Core Lightning has no pay command here: %1").arg(error.message)));
            return;
        }
        if (error.code == -32602) {
            // Invalid parameters: pay refused the request before sending anything.
            finish(PaymentResult::failed(
                QStringLiteral("payment_rejected"),
                QStringLiteral("Core Lightning refused the payment request: %1")
                    .arg(error.message)));
            return;
        }
        const auto follow = [this, hash, timeout, outer, finish] {
            track(hash, QDeadlineTimer(std::chrono::milliseconds(timeout)), outer, finish);
        };
        if (nodeHasThisPayment(error)) {
            follow(); // the node has this payment: follow it, never pay again
            return;
        }
        if (const auto failure = clnPayFailure(error)) {
            // Since v24.11 xpay takes over `pay` (xpay-handle-pay, on by default from v25.02):
            // 209 after attempts or at retry_for, and 203 or 205 while other parts may still
            // be out. A failure code is final only when listpays of the hash agrees.
            confirmFailure([this, hash](auto answer) { listpays(hash, std::move(answer)); },
                           *failure, outer, QStringLiteral("Core Lightning"), finish, follow);
            return;
        }
        // -1, no code (lightningd unreachable behind clnrest), a 5xx from a proxy: nothing
        // proves that no part was sent; reconciliation decides.
        finish(PaymentResult::inFlight(
            QStringLiteral("Core Lightning reported an error that does not prove nothing was "
                           "paid (HTTP %1): %2")
                .arg(status)
                .arg(error.message)));
    });
    return outer;
}

CallHandle ClnNode::listpays(const QByteArray& paymentHash,
                             std::function<void(Result<PaymentResult>)> done)
{
    const QJsonObject params{{QStringLiteral("payment_hash"), hashHex(paymentHash)}};
    const HttpRequest call = rpc(QStringLiteral("listpays"), params);
    return m_http.send(call, [done, paymentHash](Result<HttpResponse> response) {
        if (!response) {
            done(Result<PaymentResult>(response.error()));
            return;
        }
        if (response->status != 201) {
            done(Result<PaymentResult>(httpError(response->status, response->body)));
            return;
        }
        bool ok = false;
        const QJsonObject json = parseObject(response.value(), &ok);
        if (!ok) {
            done(Result<PaymentResult>(protocolError(QStringLiteral("unreadable listpays"))));
            return;
        }
        auto result = clnListpaysResult(json, paymentHash);
        if (result) {
            result =
                requirePreimageOf(result.value(), paymentHash, QStringLiteral("Core Lightning"));
        }
        done(std::move(result));
    });
}

void ClnNode::track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
                    std::function<void(PaymentResult)> finish)
{
    pollUntilFinal([this, paymentHash](auto done) { listpays(paymentHash, std::move(done)); },
                   &m_http, deadline, m_config.pollInterval, outer,
                   QStringLiteral("Core Lightning"), std::move(finish));
}

CallHandle ClnNode::lookup(const QByteArray& paymentHash,
                           std::function<void(Result<PaymentResult>)> done)
{
    return listpays(paymentHash, std::move(done));
}

} // namespace l402::node
