#include "core/node/LndNode.h"
#include "core/node/PaymentPolling.h"

#include "core/crypto/Digest.h"
#include "core/protocol/Macaroon.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace l402::node {
namespace {

Error protocolError(const QString& what)
{
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("LND sent an unexpected answer: %1").arg(what)};
}

// LND's REST errors: {"code": 2, "message": "...", "details": []} (also under "error").
QString errorMessage(const QByteArray& body)
{
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    const QJsonObject inner = json.contains(QStringLiteral("error"))
                                  ? json.value(QStringLiteral("error")).toObject()
                                  : json;
    const QString message = inner.value(QStringLiteral("message")).toString();
    return message.isEmpty() ? QString::fromUtf8(body.left(200)) : message;
}

bool isAuthFailure(int status, const QString& message)
{
    return status == 401 || status == 403 ||
           message.contains(QLatin1String("verification failed")) ||
           message.contains(QLatin1String("cannot get macaroon")) ||
           message.contains(QLatin1String("permission denied"));
}

Error httpError(int status, const QByteArray& body)
{
    const QString message = errorMessage(body);
    if (isAuthFailure(status, message)) {
        return Error{QLatin1String(node_error::kUnauthorized),
                     QStringLiteral("LND refused the macaroon: %1").arg(message)};
    }
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("LND answered HTTP %1: %2").arg(status).arg(message)};
}

int64_t int64Field(const QJsonObject& object, const char* name)
{
    const QJsonValue value = object.value(QLatin1String(name));
    return value.isString() ? value.toString().toLongLong() : value.toInteger();
}

QString failureCode(const QString& reason)
{
    if (reason == QLatin1String("FAILURE_REASON_NO_ROUTE")) {
        return QStringLiteral("no_route");
    }
    if (reason == QLatin1String("FAILURE_REASON_INSUFFICIENT_BALANCE")) {
        return QStringLiteral("insufficient_balance");
    }
    if (reason == QLatin1String("FAILURE_REASON_TIMEOUT")) {
        return QStringLiteral("timeout");
    }
    if (reason == QLatin1String("FAILURE_REASON_INCORRECT_PAYMENT_DETAILS")) {
        return QStringLiteral("incorrect_payment_details");
    }
    return QStringLiteral("payment_failed");
}

// Whether an error body is a gRPC status from LND itself ({"code": 2, "message": ...}, also
// under "error" on a stream), not a page from a proxy in front of it.
bool grpcStatusOf(const QByteArray& body)
{
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    const QJsonObject inner = json.contains(QStringLiteral("error"))
                                  ? json.value(QStringLiteral("error")).toObject()
                                  : json;
    return inner.value(QStringLiteral("code")).isDouble() &&
           inner.value(QStringLiteral("message")).isString();
}

// SendPaymentV2's refusals before any HTLC (lnrpc/routerrpc/router_server.go and
// zpay32 decoding), as stable failure codes.
QString refusalCode(const QString& message)
{
    if (message.contains(QLatin1String("expired"))) {
        return QStringLiteral("invoice_expired");
    }
    return QStringLiteral("payment_rejected");
}

bool alreadyKnown(const QString& message)
{
    return message.contains(QLatin1String("already paid")) ||
           message.contains(QLatin1String("in transition")) ||
           message.contains(QLatin1String("already exists"));
}

} // namespace

Result<PaymentResult> lndPaymentResult(const QJsonObject& payment)
{
    const QString status = payment.value(QStringLiteral("status")).toString();
    if (status == QLatin1String("SUCCEEDED")) {
        const QByteArray preimage = QByteArray::fromHex(
            payment.value(QStringLiteral("payment_preimage")).toString().toLatin1());
        if (preimage.size() != 32) {
            return Result<PaymentResult>(
                protocolError(QStringLiteral("a succeeded payment without a 32-byte preimage")));
        }
        PaymentResult result;
        result.outcome = PaymentResult::Outcome::Succeeded;
        result.preimage = preimage;
        result.feeMsat = int64Field(payment, "fee_msat");
        return result;
    }
    if (status == QLatin1String("FAILED")) {
        const QString reason = payment.value(QStringLiteral("failure_reason")).toString();
        return PaymentResult::failed(failureCode(reason), QStringLiteral("LND: %1").arg(reason));
    }
    if (status == QLatin1String("IN_FLIGHT") || status == QLatin1String("INITIATED") ||
        status.isEmpty()) {
        return PaymentResult::inFlight(QStringLiteral("LND reports the payment in flight."));
    }
    return Result<PaymentResult>(
        protocolError(QStringLiteral("unknown payment status %1").arg(status)));
}

LndNode::LndNode(Config config)
    : m_config(std::move(config))
    , m_http(TlsTrust{m_config.tlsCertificate, m_config.spkiPin})
{
}

HttpRequest LndNode::request(const QByteArray& method, const QString& path, const QByteArray& body,
                             std::chrono::milliseconds timeout) const
{
    HttpRequest request;
    request.method = method;
    request.url = m_config.url.resolved(QUrl(path));
    request.headers.append(
        {QByteArrayLiteral("Grpc-Metadata-macaroon"), m_config.macaroon.toHex()});
    request.body = body;
    request.timeout = timeout;
    return request;
}

CallHandle LndNode::info(std::function<void(Result<NodeInfo>)> done)
{
    return m_http.send(
        request("GET", QStringLiteral("/v1/getinfo")), [done](Result<HttpResponse> response) {
            if (!response) {
                done(Result<NodeInfo>(response.error()));
                return;
            }
            if (response->status != 200) {
                done(Result<NodeInfo>(httpError(response->status, response->body)));
                return;
            }
            const QJsonObject json = QJsonDocument::fromJson(response->body).object();
            NodeInfo info;
            info.backend = QStringLiteral("lnd");
            info.alias = json.value(QStringLiteral("alias")).toString();
            info.pubkey = QByteArray::fromHex(
                json.value(QStringLiteral("identity_pubkey")).toString().toLatin1());
            const QJsonArray chains = json.value(QStringLiteral("chains")).toArray();
            const QString network =
                chains.isEmpty()
                    ? QString()
                    : chains.first().toObject().value(QStringLiteral("network")).toString();
            const auto parsed = protocol::networkFromName(network);
            if (info.pubkey.size() != 33 || !parsed) {
                done(Result<NodeInfo>(
                    protocolError(QStringLiteral("getinfo without a pubkey or network"))));
                return;
            }
            info.network = *parsed;
            done(info);
        });
}

CallHandle LndNode::balance(std::function<void(Result<Balance>)> done)
{
    return m_http.send(request("GET", QStringLiteral("/v1/balance/channels")),
                       [done](Result<HttpResponse> response) {
                           if (!response) {
                               done(Result<Balance>(response.error()));
                               return;
                           }
                           if (response->status != 200) {
                               done(Result<Balance>(httpError(response->status, response->body)));
                               return;
                           }
                           const QJsonObject json =
                               QJsonDocument::fromJson(response->body).object();
                           const QJsonObject local =
                               json.value(QStringLiteral("local_balance")).toObject();
                           if (local.isEmpty()) {
                               done(Result<Balance>(
                                   protocolError(QStringLiteral("balance without local_balance"))));
                               return;
                           }
                           Balance balance;
                           balance.spendableMsat = local.contains(QStringLiteral("msat"))
                                                       ? int64Field(local, "msat")
                                                       : int64Field(local, "sat") * 1000;
                           done(balance);
                       });
}

CallHandle LndNode::pay(const PayRequest& payRequest, std::function<void(PaymentResult)> done)
{
    const QJsonObject body{
        {QStringLiteral("payment_request"), payRequest.invoice},
        // int64 as strings, as LND's REST gateway expects; always set (0 = zero-fee only).
        {QStringLiteral("fee_limit_msat"), QString::number(payRequest.maxFeeMsat)},
        {QStringLiteral("timeout_seconds"), qint64(payRequest.timeout.count())},
        {QStringLiteral("no_inflight_updates"), true},
    };
    CallHandle outer;
    auto finished = std::make_shared<bool>(false);
    const QByteArray hash = payRequest.paymentHash;
    auto finish = [finished, done, outer, hash](PaymentResult result) {
        if (result.outcome == PaymentResult::Outcome::Succeeded &&
            crypto::sha256(result.preimage) != hash) {
            // A "success" without the preimage of this hash proves nothing: keep it open.
            result = PaymentResult::inFlight(
                QStringLiteral("LND reported success with a preimage that does not match the "
                               "payment hash."));
        }
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    const std::chrono::seconds timeout = payRequest.timeout;
    // The HTTP deadline is the payment timeout plus slack for the node to report the end.
    const auto httpTimeout = std::chrono::milliseconds(timeout) + m_config.responseSlack;
    auto delegated = std::make_shared<bool>(false); // the outcome now comes from tracking
    auto follow = [this, hash, timeout, outer, finish] {
        track(hash, true, timeout, outer, [finish](Result<PaymentResult> tracked) {
            finish(tracked ? tracked.value()
                           : PaymentResult::inFlight(
                                 QStringLiteral("LND has the payment but tracking it failed: %1")
                                     .arg(tracked.error().message)));
        });
    };
    auto trackInstead = [follow, delegated] {
        if (!std::exchange(*delegated, true)) {
            follow();
        }
    };
    m_http.stream(
        request("POST", QStringLiteral("/v2/router/send"),
                QJsonDocument(body).toJson(QJsonDocument::Compact), httpTimeout),
        [this, hash, outer, finish, follow, trackInstead, delegated](int status,
                                                                     const QByteArray& line) {
            const QJsonObject json = QJsonDocument::fromJson(line).object();
            if (status == 409 ||
                (json.contains(QStringLiteral("error")) && alreadyKnown(errorMessage(line)))) {
                trackInstead(); // the node already has this payment: never pay again
                return true;
            }
            if (status != 200 || json.contains(QStringLiteral("error")) ||
                json.contains(QStringLiteral("code"))) {
                const QString message = errorMessage(line);
                if (isAuthFailure(status, message)) {
                    finish(PaymentResult::failed(
                        QLatin1String(node_error::kUnauthorized),
                        QStringLiteral("LND refused the macaroon: %1").arg(message)));
                    return true;
                }
                if (status >= 400 && status < 500) {
                    finish(PaymentResult::failed(
                        QStringLiteral("payment_rejected"),
                        QStringLiteral("LND rejected the payment: %1").arg(message)));
                    return true;
                }
                if (status >= 500 && grpcStatusOf(line)) {
                    // SendPaymentV2 refuses an expired invoice, a self-payment or an
                    // undecodable one before any HTLC with a plain error, which grpc-gateway
                    // v2 sends as gRPC Unknown, HTTP 500 (routerrpc/router_server.go,
                    // runtime/errors.go). The same answer could hide a payment the node has,
                    // so the hash's own record decides.
                    *delegated = true;
                    confirmFailure([this, hash](auto answer) { lookup(hash, std::move(answer)); },
                                   PaymentResult::failed(
                                       refusalCode(message),
                                       QStringLiteral("LND refused the payment: %1").arg(message)),
                                   outer, QStringLiteral("LND"), finish, follow);
                    return false;
                }
                // An error on a 200 stream, or a 5xx from something in front of LND: the
                // node may have started paying. Unknown is in flight; reconciliation decides.
                finish(PaymentResult::inFlight(
                    QStringLiteral("LND reported an error: %1").arg(message)));
                return true;
            }
            auto result = lndPaymentResult(json.value(QStringLiteral("result")).toObject());
            if (!result) {
                finish(PaymentResult::inFlight(result.error().message));
                return true;
            }
            if (result->outcome != PaymentResult::Outcome::InFlight) {
                finish(result.value());
            }
            return true;
        },
        [finish, delegated](Result<int> ended) {
            if (*delegated) {
                return;
            }
            if (!ended) {
                // Timeout or a dropped stream: the payment may be anywhere.
                finish(PaymentResult::inFlight(ended.error().message));
                return;
            }
            finish(PaymentResult::inFlight(
                QStringLiteral("LND ended the payment stream without a final state.")));
        });
    return outer;
}

void LndNode::track(const QByteArray& paymentHash, bool waitForFinal, std::chrono::seconds timeout,
                    CallHandle outer, std::function<void(Result<PaymentResult>)> done)
{
    // Path parameter of bytes: base64url with padding, as grpc-gateway decodes it.
    const QString encoded =
        QString::fromLatin1(paymentHash.toBase64(QByteArray::Base64UrlEncoding));
    const QString path =
        QStringLiteral("/v2/router/track/%1?no_inflight_updates=%2")
            .arg(encoded, waitForFinal ? QStringLiteral("true") : QStringLiteral("false"));
    auto finished = std::make_shared<bool>(false);
    auto finish = [finished, done, outer](Result<PaymentResult> result) {
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    const auto httpTimeout = std::chrono::milliseconds(timeout) + m_config.responseSlack;
    m_http.stream(
        request("GET", path, {}, httpTimeout),
        [finish, waitForFinal](int status, const QByteArray& line) {
            const QString message = errorMessage(line);
            if (status == 404 || message.contains(QLatin1String("isn't initiated"))) {
                finish(Result<PaymentResult>::failure(
                    QLatin1String(node_error::kNotFound),
                    QStringLiteral("LND has no payment for this hash.")));
                return false;
            }
            const QJsonObject json = QJsonDocument::fromJson(line).object();
            if (status != 200 || json.contains(QStringLiteral("error"))) {
                finish(Result<PaymentResult>(httpError(status, line)));
                return false;
            }
            auto result = lndPaymentResult(json.value(QStringLiteral("result")).toObject());
            if (!result || !waitForFinal || result->outcome != PaymentResult::Outcome::InFlight) {
                finish(std::move(result));
                // TrackPaymentV2 keeps the stream open until the payment is final; a lookup
                // needs only this first line, so the connection is closed now.
                return false;
            }
            return true;
        },
        [finish](Result<int> ended) {
            if (!ended) {
                finish(Result<PaymentResult>(ended.error()));
                return;
            }
            finish(PaymentResult::inFlight(
                QStringLiteral("LND ended the tracking stream without a final state.")));
        });
}

CallHandle LndNode::lookup(const QByteArray& paymentHash,
                           std::function<void(Result<PaymentResult>)> done)
{
    CallHandle handle;
    track(paymentHash, false, std::chrono::seconds(30), handle, std::move(done));
    return handle;
}

Result<LndNode::Config> LndNode::parseLndConnect(const QString& uri)
{
    using R = Result<Config>;
    const QUrl url(uri, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("lndconnect") || url.host().isEmpty()) {
        return R::failure(QStringLiteral("invalid_uri"),
                          QStringLiteral("This is not an lndconnect:// URI."));
    }
    const QUrlQuery query(url);
    Config config;
    config.url = QUrl(QStringLiteral("https://%1:%2").arg(url.host()).arg(url.port(8080)));
    auto macaroon = protocol::decodeFlexibleBase64(
        query.queryItemValue(QStringLiteral("macaroon"), QUrl::FullyDecoded).toLatin1());
    if (!macaroon || macaroon->isEmpty()) {
        return R::failure(QStringLiteral("invalid_uri"),
                          QStringLiteral("The lndconnect URI has no valid macaroon."));
    }
    config.macaroon = macaroon.value();
    const QString cert = query.queryItemValue(QStringLiteral("cert"), QUrl::FullyDecoded);
    if (!cert.isEmpty()) {
        auto der = protocol::decodeFlexibleBase64(cert.toLatin1());
        const QSslCertificate certificate =
            der ? QSslCertificate(der.value(), QSsl::Der) : QSslCertificate();
        if (certificate.isNull()) {
            return R::failure(QStringLiteral("invalid_uri"),
                              QStringLiteral("The lndconnect URI has an unreadable certificate."));
        }
        config.tlsCertificate = {certificate};
    }
    return config;
}

} // namespace l402::node
