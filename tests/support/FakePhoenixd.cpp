#include "tests/support/FakePhoenixd.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bolt11.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUuid>

namespace l402::test {
namespace {

HttpHeaders jsonHeaders()
{
    return {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}};
}

HttpHeaders textHeaders()
{
    return {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("text/plain; charset=UTF-8")}};
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

} // namespace

FakePhoenixd::FakePhoenixd()
{
    m_password = crypto::randomBytes(32).toHex();
    m_nodeId = crypto::publicKeyFromPrivate(QByteArray(32, '\x41')).value();

    m_server.route(
        "GET", QStringLiteral("/getinfo"),
        [this](const FakeRequest& request, FakeResponder& responder) {
            if (!authorized(request, responder)) {
                return;
            }
            responder.replyJson(
                200,
                QJsonDocument(QJsonObject{
                    {QStringLiteral("nodeId"), hex(m_nodeId)},
                    {QStringLiteral("channels"),
                     QJsonArray{QJsonObject{
                         {QStringLiteral("state"), QStringLiteral("Normal")},
                         {QStringLiteral("channelId"), QString(64, QLatin1Char('7'))},
                         {QStringLiteral("balanceSat"), m_balanceMsat / 1000},
                         {QStringLiteral("inboundLiquiditySat"), qint64(1'000'000)},
                         {QStringLiteral("capacitySat"), m_balanceMsat / 1000 + 1'000'000},
                         {QStringLiteral("fundingTxId"), QString(64, QLatin1Char('8'))}}}},
                    {QStringLiteral("chain"), QStringLiteral("regtest")},
                    {QStringLiteral("blockHeight"), 812345},
                    {QStringLiteral("version"), QStringLiteral("0.5.1-2f8a9b1")}}),
                jsonHeaders());
        });
    m_server.route("GET", QStringLiteral("/getbalance"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (!authorized(request, responder)) {
                           return;
                       }
                       // truncateToSatoshi(): msat below a sat are not reported.
                       responder.replyJson(200,
                                           QJsonDocument(QJsonObject{
                                               {QStringLiteral("balanceSat"), m_balanceMsat / 1000},
                                               {QStringLiteral("feeCreditSat"), 0}}),
                                           jsonHeaders());
                   });
    m_server.route("POST", QStringLiteral("/payinvoice"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handlePay(request, responder);
                       }
                   });
    m_server.route("GET", QStringLiteral("/payments/outgoingbyhash/*"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handleOutgoing(request, responder);
                       }
                   });
    m_server.setFallback([this](const FakeRequest& request, FakeResponder& responder) {
        if (authorized(request, responder)) {
            responder.reply(404, textHeaders(),
                            QByteArrayLiteral("Unknown endpoint (check api doc)"));
        }
    });
}

bool FakePhoenixd::start()
{
    return m_server.listen();
}

void FakePhoenixd::registerPreimage(const QByteArray& preimage)
{
    m_preimages.insert(crypto::sha256(preimage), preimage);
}

bool FakePhoenixd::authorized(const FakeRequest& request, FakeResponder& responder)
{
    const auto credentials = request.basicCredentials();
    if (credentials && credentials->password.toUtf8() == m_password) {
        return true;
    }
    responder.reply(401, textHeaders(),
                    QByteArrayLiteral("Invalid authentication (use basic auth with the http "
                                      "password set in phoenix.conf)"));
    return false;
}

void FakePhoenixd::settle(const QByteArray& hash, bool succeed)
{
    Payment& payment = m_payments[hash];
    payment.completed = true;
    payment.completedAt = QDateTime::currentMSecsSinceEpoch();
    if (succeed) {
        payment.preimage = m_preimages.value(hash);
        payment.feeMsat = m_feeMsat;
    }
}

void FakePhoenixd::handlePay(const FakeRequest& request, FakeResponder& responder)
{
    if (!request.header("Content-Type").startsWith("application/x-www-form-urlencoded")) {
        m_violations.append(QStringLiteral("payinvoice without a form body"));
        responder.reply(400, textHeaders(),
                        QByteArrayLiteral("Request parameter invoice is missing"));
        return;
    }
    const QUrlQuery form(QString::fromUtf8(request.body));
    for (const auto& item : form.queryItems()) {
        if (item.first != QLatin1String("invoice") && item.first != QLatin1String("amountSat")) {
            m_violations.append(
                QStringLiteral("payinvoice with the unknown parameter %1").arg(item.first));
        }
    }
    const QString text = form.queryItemValue(QStringLiteral("invoice"), QUrl::FullyDecoded);
    if (text.isEmpty()) {
        responder.reply(400, textHeaders(),
                        QByteArrayLiteral("Request parameter invoice is missing"));
        return;
    }
    auto invoice = protocol::decodeInvoice(text);
    if (!invoice) {
        responder.reply(400, textHeaders(),
                        QByteArrayLiteral("Request parameter invoice is not valid: bolt11invoice"));
        return;
    }
    const QByteArray hash = invoice->paymentHash;
    auto failed = [&responder, &hash](const QString& reason) {
        responder.replyJson(200,
                            QJsonDocument(QJsonObject{{QStringLiteral("paymentHash"), hex(hash)},
                                                      {QStringLiteral("reason"), reason}}),
                            jsonHeaders());
    };
    if (m_payments.contains(hash)) {
        const Payment existing = m_payments.value(hash);
        if (!existing.preimage.isEmpty()) {
            failed(QStringLiteral("this invoice has already been paid"));
            return;
        }
        if (!existing.completed) {
            failed(QStringLiteral("another payment is in progress for that invoice"));
            return;
        }
        // A failed payment may be tried again.
    }
    if (m_behaviour == PayBehaviour::ServerError) {
        responder.reply(500, textHeaders(),
                        QByteArrayLiteral("java.lang.IllegalStateException: peer is not ready"));
        return;
    }
    Payment payment;
    payment.amountMsat = static_cast<qint64>(invoice->amountMsat.value_or(0));
    payment.invoice = text;
    payment.createdAt = QDateTime::currentMSecsSinceEpoch();
    m_payments.insert(hash, payment);
    m_attempts[hash] += 1;
    switch (m_behaviour) {
    case PayBehaviour::Succeed:
    case PayBehaviour::WrongPreimage: {
        settle(hash, true);
        const Payment& paid = m_payments[hash];
        const QByteArray preimage =
            m_behaviour == PayBehaviour::WrongPreimage ? QByteArray(32, '\x66') : paid.preimage;
        responder.replyJson(
            200,
            QJsonDocument(QJsonObject{
                {QStringLiteral("recipientAmountSat"), paid.amountMsat / 1000},
                // truncateToSatoshi(): the msat part of the fee is dropped here.
                {QStringLiteral("routingFeeSat"), paid.feeMsat / 1000},
                {QStringLiteral("paymentId"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                {QStringLiteral("paymentHash"), hex(hash)},
                {QStringLiteral("paymentPreimage"), hex(preimage)}}),
            jsonHeaders());
        return;
    }
    case PayBehaviour::Fail:
        settle(hash, false);
        failed(QStringLiteral(
            "the recipient was offline or did not have enough liquidity to receive the payment"));
        return;
    case PayBehaviour::DropThenSucceed:
    case PayBehaviour::DropThenFail: {
        HttpHeaders headers = jsonHeaders();
        headers.append({QByteArrayLiteral("Content-Length"), QByteArrayLiteral("300")});
        responder.startStream(200, headers);
        responder.writeChunk(QByteArrayLiteral("{\n  \"recipientAmountSat\": "));
        responder.closeAbruptly();
        const bool succeed = m_behaviour == PayBehaviour::DropThenSucceed;
        QTimer::singleShot(m_settleDelay, this, [this, hash, succeed] { settle(hash, succeed); });
        return;
    }
    case PayBehaviour::Hang:
        responder.neverAnswer();
        return;
    case PayBehaviour::UnclearFailure:
        if (m_unclearRecord != Record::Pending) {
            settle(hash, m_unclearRecord == Record::Paid);
        }
        failed(QStringLiteral("not enough funds in wallet to afford payment"));
        return;
    case PayBehaviour::ServerError:
        return;
    }
}

void FakePhoenixd::handleOutgoing(const FakeRequest& request, FakeResponder& responder)
{
    const QString hashText = request.path.mid(QStringLiteral("/payments/outgoingbyhash/").size());
    const QByteArray hash = QByteArray::fromHex(hashText.toLatin1());
    if (hash.size() != 32) {
        responder.reply(400, textHeaders(),
                        QByteArrayLiteral("Request parameter paymentHash is not valid: hex32"));
        return;
    }
    if (m_lookupBroken) {
        responder.reply(500, textHeaders(),
                        QByteArrayLiteral("java.sql.SQLException: database is locked"));
        return;
    }
    if (!m_payments.contains(hash)) {
        responder.reply(404, textHeaders(), QByteArrayLiteral("Unknown endpoint (check api doc)"));
        return;
    }
    const Payment payment = m_payments.value(hash);
    QJsonObject json{
        {QStringLiteral("paymentHash"), hex(hash)},
        {QStringLiteral("isPaid"),
         m_isPaidWhenCompleted ? payment.completed : !payment.preimage.isEmpty()},
        {QStringLiteral("sent"), (payment.amountMsat + payment.feeMsat) / 1000},
        {QStringLiteral("fees"), payment.feeMsat},
        {QStringLiteral("invoice"), payment.invoice},
        {QStringLiteral("createdAt"), payment.createdAt},
    };
    if (!payment.preimage.isEmpty()) {
        json.insert(QStringLiteral("preimage"), hex(payment.preimage));
    }
    if (payment.completed) {
        json.insert(QStringLiteral("completedAt"), payment.completedAt);
    }
    responder.replyJson(200, QJsonDocument(json), jsonHeaders());
}

} // namespace l402::test
