#include "core/node/PhoenixdNode.h"
#include "core/node/PaymentChecks.h"
#include "core/node/PaymentPolling.h"

#include "core/crypto/Digest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUrlQuery>

namespace l402::node {
namespace {

Error protocolError(const QString& what)
{
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("phoenixd sent an unexpected answer: %1.").arg(what)};
}

QJsonDocument parseJson(const QByteArray& body, bool* ok)
{
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    *ok = parseError.error == QJsonParseError::NoError;
    return document;
}

// phoenixd's errors are plain text (Ktor StatusPages respondText).
QString textOf(const QByteArray& body)
{
    return QString::fromUtf8(body.left(200)).simplified();
}

Error httpError(int status, const QByteArray& body)
{
    if (status == 401 || status == 403) {
        return Error{QLatin1String(node_error::kUnauthorized),
                     QStringLiteral("phoenixd refused the http password: %1").arg(textOf(body))};
    }
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("phoenixd answered HTTP %1: %2").arg(status).arg(textOf(body))};
}

// lightning-kmp FinalFailure texts for a node that already has this payment hash.
bool alreadyKnown(const QString& reason)
{
    const QString lower = reason.toLower();
    return lower.contains(QLatin1String("already been paid")) ||
           lower.contains(QLatin1String("already paid")) ||
           lower.contains(QLatin1String("already in progress")) ||
           lower.contains(QLatin1String("another payment is in progress"));
}

QString failureCode(const QString& reason)
{
    const QString lower = reason.toLower();
    if (lower.contains(QLatin1String("not enough funds")) ||
        lower.contains(QLatin1String("insufficient"))) {
        return QStringLiteral("insufficient_balance");
    }
    if (lower.contains(QLatin1String("route")) || lower.contains(QLatin1String("unreachable")) ||
        lower.contains(QLatin1String("offline")) || lower.contains(QLatin1String("liquidity"))) {
        return QStringLiteral("no_route");
    }
    if (lower.contains(QLatin1String("expired"))) {
        return QStringLiteral("invoice_expired");
    }
    return QStringLiteral("payment_failed");
}

std::optional<protocol::Network> phoenixdNetwork(const QString& chain)
{
    // nodeParams.chain.name.lowercase(): mainnet, testnet3, testnet4, signet, regtest.
    return protocol::networkFromName(chain);
}

Result<PaymentResult> outgoingEntry(const QJsonObject& payment)
{
    const QString preimageHex = payment.value(QStringLiteral("preimage")).toString();
    if (!preimageHex.isEmpty()) {
        PaymentResult result;
        result.outcome = PaymentResult::Outcome::Succeeded;
        result.preimage = QByteArray::fromHex(preimageHex.toLatin1());
        result.feeMsat = payment.value(QStringLiteral("fees")).toInteger(); // msat
        return result;
    }
    // No preimage: completed means failed; not completed means still in flight. isPaid is
    // not read: it is true only for a success now, but releases before it set it from
    // completedAt, true for a failure too, and the preimage alone proves payment.
    const QJsonValue completedAt = payment.value(QStringLiteral("completedAt"));
    if (!completedAt.isUndefined() && !completedAt.isNull()) {
        return PaymentResult::failed(QStringLiteral("payment_failed"),
                                     QStringLiteral("phoenixd reports the payment failed."));
    }
    return PaymentResult::inFlight(QStringLiteral("phoenixd reports the payment still pending."));
}

} // namespace

Result<PaymentResult> phoenixdOutgoingResult(const QJsonValue& outgoing)
{
    QJsonArray entries;
    if (outgoing.isArray()) {
        entries = outgoing.toArray();
    } else if (outgoing.isObject()) {
        entries.append(outgoing);
    } else {
        return Result<PaymentResult>(protocolError(QStringLiteral("an unreadable payment")));
    }
    bool pending = false;
    bool failed = false;
    for (const QJsonValue& entry : entries) {
        auto result = outgoingEntry(entry.toObject());
        if (!result) {
            return result;
        }
        switch (result->outcome) {
        case PaymentResult::Outcome::Succeeded:
            return result;
        case PaymentResult::Outcome::InFlight:
            pending = true;
            break;
        case PaymentResult::Outcome::Failed:
            failed = true;
            break;
        }
    }
    if (pending) {
        return PaymentResult::inFlight(
            QStringLiteral("phoenixd reports the payment still pending."));
    }
    if (failed) {
        return PaymentResult::failed(QStringLiteral("payment_failed"),
                                     QStringLiteral("phoenixd reports the payment failed."));
    }
    return Result<PaymentResult>::failure(QLatin1String(node_error::kNotFound),
                                          QStringLiteral("phoenixd has no payment for this hash."));
}

PhoenixdNode::PhoenixdNode(Config config)
    : m_config(std::move(config))
    , m_http(TlsTrust{m_config.caCertificates, {}})
{
}

HttpRequest PhoenixdNode::request(const QByteArray& method, const QString& path,
                                  const QByteArray& form, std::chrono::milliseconds timeout) const
{
    HttpRequest request;
    request.method = method;
    request.url = m_config.url.resolved(QUrl(path));
    // Basic with an empty user name: base64(":" + password).
    const QByteArray credentials = ':' + m_config.password;
    const QByteArray authorization = "Basic " + credentials.toBase64();
    request.headers.append({QByteArrayLiteral("Authorization"), authorization});
    if (method == "POST") {
        request.headers.append({QByteArrayLiteral("Content-Type"),
                                QByteArrayLiteral("application/x-www-form-urlencoded")});
    }
    request.body = form;
    request.timeout = timeout;
    return request;
}

CallHandle PhoenixdNode::info(std::function<void(Result<NodeInfo>)> done)
{
    return m_http.send(
        request("GET", QStringLiteral("/getinfo")), [done](Result<HttpResponse> response) {
            if (!response) {
                done(Result<NodeInfo>(response.error()));
                return;
            }
            if (response->status != 200) {
                done(Result<NodeInfo>(httpError(response->status, response->body)));
                return;
            }
            bool ok = false;
            const QJsonObject json = parseJson(response->body, &ok).object();
            NodeInfo info;
            info.backend = QStringLiteral("phoenixd");
            // phoenixd has no alias.
            info.pubkey =
                QByteArray::fromHex(json.value(QStringLiteral("nodeId")).toString().toLatin1());
            const auto network = phoenixdNetwork(json.value(QStringLiteral("chain")).toString());
            if (!ok || info.pubkey.size() != 33 || !network) {
                done(Result<NodeInfo>(
                    protocolError(QStringLiteral("getinfo without a nodeId or chain"))));
                return;
            }
            info.network = *network;
            done(info);
        });
}

CallHandle PhoenixdNode::balance(std::function<void(Result<Balance>)> done)
{
    return m_http.send(
        request("GET", QStringLiteral("/getbalance")), [done](Result<HttpResponse> response) {
            if (!response) {
                done(Result<Balance>(response.error()));
                return;
            }
            if (response->status != 200) {
                done(Result<Balance>(httpError(response->status, response->body)));
                return;
            }
            bool ok = false;
            const QJsonObject json = parseJson(response->body, &ok).object();
            if (!ok || !json.value(QStringLiteral("balanceSat")).isDouble()) {
                done(Result<Balance>(
                    protocolError(QStringLiteral("getbalance without balanceSat"))));
                return;
            }
            Balance balance;
            // Whole sats only: phoenixd truncates the channel's msat balance.
            balance.spendableMsat = json.value(QStringLiteral("balanceSat")).toInteger() * 1000;
            done(balance);
        });
}

CallHandle PhoenixdNode::pay(const PayRequest& payRequest, std::function<void(PaymentResult)> done)
{
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("invoice"), payRequest.invoice);
    CallHandle outer;
    auto finished = std::make_shared<bool>(false);
    const QByteArray hash = payRequest.paymentHash;
    const int64_t maxFeeMsat = payRequest.maxFeeMsat;
    auto finish = [finished, done, outer, hash, maxFeeMsat](PaymentResult result) {
        result =
            noteFeeOverLimit(requirePreimageOf(std::move(result), hash, QStringLiteral("phoenixd")),
                             maxFeeMsat, QStringLiteral("phoenixd"));
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    const std::chrono::seconds timeout = payRequest.timeout;
    const auto httpTimeout = std::chrono::milliseconds(timeout) + m_config.responseSlack;
    const QDeadlineTimer deadline{std::chrono::milliseconds(timeout)};
    m_http.send(
        request("POST", QStringLiteral("/payinvoice"), form.toString(QUrl::FullyEncoded).toUtf8(),
                httpTimeout),
        [this, finish, hash, deadline, outer](Result<HttpResponse> response) {
            if (outer.cancelled()) {
                return;
            }
            if (!response) {
                finish(PaymentResult::inFlight(response.error().message));
                return;
            }
            const int status = response->status;
            if (status == 401 || status == 403) {
                finish(PaymentResult::failed(QLatin1String(node_error::kUnauthorized),
                                             httpError(status, response->body).message));
                return;
            }
            if (status == 400) {
                // Ktor's BadRequest/MissingRequestParameter: refused before paying.
                finish(PaymentResult::failed(QStringLiteral("payment_rejected"),
                                             QStringLiteral("phoenixd refused the payment: %1")
                                                 .arg(textOf(response->body))));
                return;
            }
            bool ok = false;
            const QJsonObject json = parseJson(response->body, &ok).object();
            if (status != 200 || !ok) {
                finish(PaymentResult::inFlight(
                    QStringLiteral(
                        "phoenixd's answer (HTTP %1) does not prove nothing was paid: %2")
                        .arg(status)
                        .arg(textOf(response->body))));
                return;
            }
            const QString preimageHex = json.value(QStringLiteral("paymentPreimage")).toString();
            if (!preimageHex.isEmpty()) {
                PaymentResult result;
                result.outcome = PaymentResult::Outcome::Succeeded;
                result.preimage = QByteArray::fromHex(preimageHex.toLatin1());
                // Truncated to sats here; the lookup below has the msat value.
                result.feeMsat = json.value(QStringLiteral("routingFeeSat")).toInteger() * 1000;
                if (requirePreimageOf(result, hash, QStringLiteral("phoenixd")).outcome !=
                    PaymentResult::Outcome::Succeeded) {
                    finish(result); // reported as in flight by finish
                    return;
                }
                lookup(hash, [finish, result](Result<PaymentResult> precise) {
                    PaymentResult best = result;
                    if (precise && precise->outcome == PaymentResult::Outcome::Succeeded &&
                        precise->feeMsat >= best.feeMsat) {
                        best.feeMsat = precise->feeMsat;
                    }
                    finish(best);
                });
                return;
            }
            const QString reason = json.value(QStringLiteral("reason")).toString();
            if (reason.isEmpty()) {
                finish(PaymentResult::inFlight(QStringLiteral(
                    "phoenixd answered the payment with neither a preimage nor a reason.")));
                return;
            }
            if (alreadyKnown(reason)) {
                // phoenixd has this hash: follow it, never pay again.
                track(hash, deadline, outer, finish);
                return;
            }
            // lightning-kmp answers a pay of a hash it already has with a plain failure
            // reason too; the hash's own record says whether anything is out.
            confirmFailure(
                [this, hash](auto answer) { lookup(hash, std::move(answer)); },
                PaymentResult::failed(failureCode(reason),
                                      QStringLiteral("phoenixd: %1").arg(reason)),
                outer, QStringLiteral("phoenixd"), finish,
                [this, hash, deadline, outer, finish] { track(hash, deadline, outer, finish); });
        });
    return outer;
}

void PhoenixdNode::track(const QByteArray& paymentHash, QDeadlineTimer deadline, CallHandle outer,
                         std::function<void(PaymentResult)> finish)
{
    pollUntilFinal([this, paymentHash](auto done) { lookup(paymentHash, std::move(done)); },
                   &m_http, deadline, m_config.pollInterval, outer, QStringLiteral("phoenixd"),
                   std::move(finish));
}

CallHandle PhoenixdNode::lookup(const QByteArray& paymentHash,
                                std::function<void(Result<PaymentResult>)> done)
{
    const QString path =
        QStringLiteral("/payments/outgoingbyhash/%1").arg(QString::fromLatin1(paymentHash.toHex()));
    return m_http.send(request("GET", path), [done, paymentHash](Result<HttpResponse> response) {
        if (!response) {
            done(Result<PaymentResult>(response.error()));
            return;
        }
        if (response->status == 404) {
            done(Result<PaymentResult>::failure(
                QLatin1String(node_error::kNotFound),
                QStringLiteral("phoenixd has no payment for this hash.")));
            return;
        }
        if (response->status != 200) {
            done(Result<PaymentResult>(httpError(response->status, response->body)));
            return;
        }
        bool ok = false;
        const QJsonDocument json = parseJson(response->body, &ok);
        if (!ok) {
            done(Result<PaymentResult>(protocolError(QStringLiteral("an unreadable payment"))));
            return;
        }
        auto result = phoenixdOutgoingResult(json.isArray() ? QJsonValue(json.array())
                                                            : QJsonValue(json.object()));
        if (result) {
            result = requirePreimageOf(result.value(), paymentHash, QStringLiteral("phoenixd"));
        }
        done(std::move(result));
    });
}

} // namespace l402::node
