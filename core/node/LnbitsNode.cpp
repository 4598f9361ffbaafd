#include "core/node/LnbitsNode.h"
#include "core/node/PaymentChecks.h"
#include "core/node/PaymentPolling.h"

#include "core/crypto/Digest.h"

#include <QJsonDocument>
#include <QTimer>

#include <cstdlib>

namespace l402::node {
namespace {

Error protocolError(const QString& what)
{
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("LNbits sent an unexpected answer: %1.").arg(what)};
}

QJsonObject parseObject(const QByteArray& body, bool* ok)
{
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    *ok = parseError.error == QJsonParseError::NoError && document.isObject();
    return document.object();
}

// FastAPI errors: {"detail": "..."}; validation errors carry a list in detail.
QString detailOf(const QByteArray& body)
{
    bool ok = false;
    const QJsonObject json = parseObject(body, &ok);
    const QJsonValue detail = json.value(QStringLiteral("detail"));
    if (detail.isString() && !detail.toString().isEmpty()) {
        return detail.toString();
    }
    return QString::fromUtf8(body.left(200)).simplified();
}

// LNbits v1.5 (lnbits/decorators.py): no key is 401, an invoice key where the admin key is
// needed 403, and a key no wallet has 404 "Wallet not found." (the same status as an
// unknown payment hash, so the detail tells them apart).
bool isAuthFailure(int status, const QByteArray& body)
{
    return status == 401 || status == 403 ||
           (status == 404 && detailOf(body).contains(QLatin1String("wallet"), Qt::CaseInsensitive));
}

Error httpError(int status, const QByteArray& body)
{
    if (isAuthFailure(status, body)) {
        return Error{QLatin1String(node_error::kUnauthorized),
                     QStringLiteral("LNbits refused the admin key: %1").arg(detailOf(body))};
    }
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("LNbits answered HTTP %1: %2").arg(status).arg(detailOf(body))};
}

QString failureCode(const QString& detail)
{
    const QString lower = detail.toLower();
    if (lower.contains(QLatin1String("insufficient balance")) ||
        lower.contains(QLatin1String("reserve at least"))) {
        return QStringLiteral("insufficient_balance");
    }
    if (lower.contains(QLatin1String("route"))) {
        return QStringLiteral("no_route");
    }
    if (lower.contains(QLatin1String("expired"))) {
        return QStringLiteral("invoice_expired");
    }
    return QStringLiteral("payment_failed");
}

// The Payment object (POST answer, or "details"): fee in msat, negative when outgoing.
int64_t feeOf(const QJsonObject& payment)
{
    return std::llabs(payment.value(QStringLiteral("fee")).toInteger());
}

PaymentResult succeeded(const QString& preimageHex, int64_t feeMsat)
{
    PaymentResult result;
    result.outcome = PaymentResult::Outcome::Succeeded;
    result.preimage = QByteArray::fromHex(preimageHex.toLatin1());
    result.feeMsat = feeMsat;
    return result;
}

} // namespace

Result<PaymentResult> lnbitsPaymentStatus(const QJsonObject& status)
{
    if (!status.contains(QStringLiteral("paid"))) {
        return Result<PaymentResult>(
            protocolError(QStringLiteral("a payment status without paid")));
    }
    const QJsonObject details = status.value(QStringLiteral("details")).toObject();
    if (status.value(QStringLiteral("paid")).toBool()) {
        return succeeded(status.value(QStringLiteral("preimage")).toString(), feeOf(details));
    }
    const QString state = status.value(QStringLiteral("status")).toString();
    if (state == QLatin1String("failed")) {
        return PaymentResult::failed(QStringLiteral("payment_failed"),
                                     QStringLiteral("LNbits reports the payment failed."));
    }
    // "pending", or an older LNbits that only says paid: false.
    return PaymentResult::inFlight(QStringLiteral("LNbits reports the payment still pending."));
}

LnbitsNode::LnbitsNode(Config config)
    : m_config(std::move(config))
    , m_http(TlsTrust{m_config.caCertificates, {}})
{
}

HttpRequest LnbitsNode::request(const QByteArray& method, const QString& path,
                                const QByteArray& body, std::chrono::milliseconds timeout) const
{
    HttpRequest request;
    request.method = method;
    request.url = m_config.url.resolved(QUrl(path));
    request.headers.append({QByteArrayLiteral("X-Api-Key"), m_config.adminKey});
    if (!body.isEmpty()) {
        request.headers.append(
            {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    }
    request.body = body;
    request.timeout = timeout;
    return request;
}

CallHandle LnbitsNode::info(std::function<void(Result<NodeInfo>)> done)
{
    const protocol::Network network = m_config.network;
    return m_http.send(
        request("GET", QStringLiteral("/api/v1/wallet")),
        [done, network](Result<HttpResponse> response) {
            if (!response) {
                done(Result<NodeInfo>(response.error()));
                return;
            }
            if (response->status != 200) {
                done(Result<NodeInfo>(httpError(response->status, response->body)));
                return;
            }
            bool ok = false;
            const QJsonObject json = parseObject(response->body, &ok);
            if (!ok || !json.contains(QStringLiteral("name"))) {
                done(Result<NodeInfo>(protocolError(QStringLiteral("a wallet without a name"))));
                return;
            }
            NodeInfo info;
            info.backend = QStringLiteral("lnbits");
            info.alias = json.value(QStringLiteral("name")).toString();
            info.network = network; // LNbits does not tell
            done(info);
        });
}

CallHandle LnbitsNode::balance(std::function<void(Result<Balance>)> done)
{
    return m_http.send(
        request("GET", QStringLiteral("/api/v1/wallet")), [done](Result<HttpResponse> response) {
            if (!response) {
                done(Result<Balance>(response.error()));
                return;
            }
            if (response->status != 200) {
                done(Result<Balance>(httpError(response->status, response->body)));
                return;
            }
            bool ok = false;
            const QJsonObject json = parseObject(response->body, &ok);
            if (!ok || !json.value(QStringLiteral("balance")).isDouble()) {
                done(Result<Balance>(protocolError(QStringLiteral("a wallet without a balance"))));
                return;
            }
            Balance balance;
            balance.spendableMsat = json.value(QStringLiteral("balance")).toInteger();
            done(balance);
        });
}

CallHandle LnbitsNode::pay(const PayRequest& payRequest, std::function<void(PaymentResult)> done)
{
    const QJsonObject body{{QStringLiteral("out"), true},
                           {QStringLiteral("bolt11"), payRequest.invoice}};
    CallHandle outer;
    auto finished = std::make_shared<bool>(false);
    const QByteArray hash = payRequest.paymentHash;
    const int64_t maxFeeMsat = payRequest.maxFeeMsat;
    auto finish = [finished, done, outer, hash, maxFeeMsat](PaymentResult result) {
        result =
            noteFeeOverLimit(requirePreimageOf(std::move(result), hash, QStringLiteral("LNbits")),
                             maxFeeMsat, QStringLiteral("LNbits"));
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    const std::chrono::seconds timeout = payRequest.timeout;
    const auto httpTimeout = std::chrono::milliseconds(timeout) + m_config.responseSlack;
    // The poll deadline starts now: the whole call stays within timeout + slack.
    const QDeadlineTimer deadline{std::chrono::milliseconds(timeout)};
    m_http.send(
        request("POST", QStringLiteral("/api/v1/payments"),
                QJsonDocument(body).toJson(QJsonDocument::Compact), httpTimeout),
        [this, finish, hash, deadline, outer](Result<HttpResponse> response) {
            if (outer.cancelled()) {
                return;
            }
            if (!response) {
                finish(PaymentResult::inFlight(response.error().message));
                return;
            }
            const int status = response->status;
            if (status == 201 || status == 200) {
                bool ok = false;
                const QJsonObject payment = parseObject(response->body, &ok);
                if (!ok) {
                    finish(PaymentResult::inFlight(QStringLiteral(
                        "LNbits' answer to the payment was cut off or unreadable; the payment "
                        "may have gone through.")));
                    return;
                }
                const QString state = payment.value(QStringLiteral("status")).toString();
                if (state == QLatin1String("success")) {
                    finish(succeeded(payment.value(QStringLiteral("preimage")).toString(),
                                     feeOf(payment)));
                    return;
                }
                if (state == QLatin1String("failed")) {
                    finish(PaymentResult::failed(
                        QStringLiteral("payment_failed"),
                        QStringLiteral("LNbits reports the payment failed.")));
                    return;
                }
                // "pending", or an older LNbits answering only {payment_hash, checking_id}.
                track(hash, deadline, outer, finish);
                return;
            }
            if (isAuthFailure(status, response->body)) {
                // The key is checked before LNbits records anything.
                finish(PaymentResult::failed(QLatin1String(node_error::kUnauthorized),
                                             httpError(status, response->body).message));
                return;
            }
            if (status == 400) {
                // ValueError: a bad or amountless invoice, a limit; raised before any payment.
                finish(PaymentResult::failed(QStringLiteral("payment_rejected"),
                                             QStringLiteral("LNbits refused the payment: %1")
                                                 .arg(detailOf(response->body))));
                return;
            }
            if (status == 520) {
                bool ok = false;
                const QJsonObject json = parseObject(response->body, &ok);
                const QString state = json.value(QStringLiteral("status")).toString();
                const QString detail = detailOf(response->body);
                if (state == QLatin1String("failed")) {
                    // LNbits checks wallet limits, the balance (which already counts pending
                    // outgoing payments) and the fee reserve before it looks for an existing
                    // payment of the hash (services/payments.py), so a repeated pay of a hash
                    // in flight or paid fails as "Insufficient balance.": only the hash's own
                    // record says whether anything is out.
                    confirmFailure([this, hash](auto answer) { lookup(hash, std::move(answer)); },
                                   PaymentResult::failed(failureCode(detail),
                                                         QStringLiteral("LNbits: %1").arg(detail)),
                                   outer, QStringLiteral("LNbits"), finish,
                                   [this, hash, deadline, outer, finish] {
                                       track(hash, deadline, outer, finish);
                                   });
                    return;
                }
                if (state == QLatin1String("success") || state == QLatin1String("pending")) {
                    // "Payment already paid." / "Payment is still pending.": LNbits has
                    // this hash. Follow it, never pay again.
                    track(hash, deadline, outer, finish);
                    return;
                }
            }
            // A 500 from an exception, a 5xx from a proxy, a 520 without a status: nothing
            // proves that LNbits did not start the payment.
            finish(PaymentResult::inFlight(
                QStringLiteral("LNbits reported an error that does not prove nothing was paid "
                               "(HTTP %1): %2")
                    .arg(status)
                    .arg(detailOf(response->body))));
        });
    return outer;
}

void LnbitsNode::track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
                       std::function<void(PaymentResult)> finish)
{
    pollUntilFinal([this, paymentHash](auto done) { lookup(paymentHash, std::move(done)); },
                   &m_http, deadline, m_config.pollInterval, outer, QStringLiteral("LNbits"),
                   std::move(finish));
}

CallHandle LnbitsNode::lookup(const QByteArray& paymentHash,
                              std::function<void(Result<PaymentResult>)> done)
{
    const QString path =
        QStringLiteral("/api/v1/payments/%1").arg(QString::fromLatin1(paymentHash.toHex()));
    return m_http.send(request("GET", path), [done, paymentHash](Result<HttpResponse> response) {
        if (!response) {
            done(Result<PaymentResult>(response.error()));
            return;
        }
        if (response->status == 404 && !isAuthFailure(response->status, response->body)) {
            done(Result<PaymentResult>::failure(
                QLatin1String(node_error::kNotFound),
                QStringLiteral("LNbits has no payment for this hash.")));
            return;
        }
        if (response->status != 200) {
            done(Result<PaymentResult>(httpError(response->status, response->body)));
            return;
        }
        bool ok = false;
        const QJsonObject json = parseObject(response->body, &ok);
        if (!ok) {
            done(Result<PaymentResult>(
                protocolError(QStringLiteral("an unreadable payment status"))));
            return;
        }
        auto result = lnbitsPaymentStatus(json);
        if (result) {
            result = requirePreimageOf(result.value(), paymentHash, QStringLiteral("LNbits"));
        }
        done(std::move(result));
    });
}

} // namespace l402::node
