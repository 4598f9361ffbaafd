#include "tests/support/FakeLnbits.h"

#include "core/crypto/Digest.h"
#include "core/protocol/Bolt11.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>

namespace l402::test {
namespace {

HttpHeaders jsonHeaders()
{
    return {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}};
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

QJsonDocument detailJson(const QString& text)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("detail"), text}});
}

QJsonDocument paymentError(const QString& text, const QString& status)
{
    return QJsonDocument(
        QJsonObject{{QStringLiteral("detail"), text}, {QStringLiteral("status"), status}});
}

} // namespace

FakeLnbits::FakeLnbits()
{
    m_adminKey = crypto::randomBytes(16).toHex();
    m_invoiceKey = crypto::randomBytes(16).toHex();
    m_walletId = hex(crypto::randomBytes(16));

    m_server.route("GET", QStringLiteral("/api/v1/wallet"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (!authorized(keyType(request), responder)) {
                           return;
                       }
                       responder.replyJson(
                           200,
                           QJsonDocument(QJsonObject{
                               {QStringLiteral("id"), m_walletId},
                               {QStringLiteral("name"), QStringLiteral("fake-lnbits wallet")},
                               {QStringLiteral("balance"), m_balanceMsat}}),
                           jsonHeaders());
                   });
    m_server.route("POST", QStringLiteral("/api/v1/payments"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       handlePay(request, responder);
                   });
    m_server.route("GET", QStringLiteral("/api/v1/payments/*"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       handleStatus(request, responder);
                   });
    m_server.setFallback([](const FakeRequest&, FakeResponder& responder) {
        responder.replyJson(404, detailJson(QStringLiteral("Not Found")), jsonHeaders());
    });
}

bool FakeLnbits::start()
{
    return m_server.listen();
}

bool FakeLnbits::startTls()
{
    auto certificate = makeSelfSignedCertificate();
    if (!certificate) {
        return false;
    }
    m_certificate = certificate.value();
    return m_server.listenTls(m_certificate.certificate(), m_certificate.privateKey());
}

void FakeLnbits::registerPreimage(const QByteArray& preimage)
{
    m_preimages.insert(crypto::sha256(preimage), preimage);
}

FakeLnbits::KeyType FakeLnbits::keyType(const FakeRequest& request) const
{
    const QByteArray key = request.header("X-Api-Key");
    if (key.isEmpty()) {
        return KeyType::None;
    }
    if (key == m_adminKey) {
        return KeyType::Admin;
    }
    if (key == m_invoiceKey) {
        return KeyType::Invoice;
    }
    return KeyType::Unknown;
}

bool FakeLnbits::authorized(KeyType key, FakeResponder& responder) const
{
    // decorators.py: KeyChecker.
    if (key == KeyType::None) {
        responder.replyJson(401, detailJson(QStringLiteral("Missing api key in header.")),
                            jsonHeaders());
        return false;
    }
    if (key == KeyType::Unknown) {
        responder.replyJson(404, detailJson(QStringLiteral("Wallet not found.")), jsonHeaders());
        return false;
    }
    return true;
}

qint64 FakeLnbits::feeReserveMsat(qint64 amountMsat)
{
    // settings: lnbits_reserve_fee_min 2000 msat, lnbits_reserve_fee_percent 1.0.
    return std::max<qint64>(2'000, amountMsat / 100);
}

qint64 FakeLnbits::availableMsat() const
{
    qint64 available = m_balanceMsat;
    for (const Payment& payment : m_payments) {
        if (payment.status == QLatin1String("pending")) {
            available -= payment.amountMsat + feeReserveMsat(payment.amountMsat);
        } else if (payment.status == QLatin1String("success")) {
            available -= payment.amountMsat + payment.feeMsat;
        }
    }
    return available;
}

bool FakeLnbits::balanceCovers(qint64 amountMsat, FakeResponder& responder)
{
    const qint64 available = availableMsat();
    if (amountMsat > available) {
        responder.replyJson(
            520, paymentError(QStringLiteral("Insufficient balance."), QStringLiteral("failed")),
            jsonHeaders());
        return false;
    }
    if (amountMsat + feeReserveMsat(amountMsat) > available) {
        responder.replyJson(
            520,
            paymentError(QStringLiteral("You must reserve at least (%1 sat) to cover potential "
                                        "routing fees.")
                             .arg((feeReserveMsat(amountMsat) + 999) / 1000),
                         QStringLiteral("failed")),
            jsonHeaders());
        return false;
    }
    return true;
}

bool FakeLnbits::answerExisting(const QByteArray& hash, FakeResponder& responder)
{
    if (!m_payments.contains(hash)) {
        return false;
    }
    // services/payments.py _verify_external_payment.
    const QString status = m_payments.value(hash).status;
    if (status == QLatin1String("pending")) {
        responder.replyJson(
            520,
            paymentError(QStringLiteral("Payment is still pending."), QStringLiteral("pending")),
            jsonHeaders());
        return true;
    }
    if (status == QLatin1String("success")) {
        responder.replyJson(
            520, paymentError(QStringLiteral("Payment already paid."), QStringLiteral("success")),
            jsonHeaders());
        return true;
    }
    responder.replyJson(
        520,
        paymentError(QStringLiteral("Payment is failed node, retrying is not possible."),
                     QStringLiteral("failed")),
        jsonHeaders());
    return true;
}

QJsonObject FakeLnbits::paymentJson(const QByteArray& hash, const Payment& payment) const
{
    const double now = double(QDateTime::currentSecsSinceEpoch());
    return QJsonObject{
        {QStringLiteral("checking_id"), hex(hash)},
        {QStringLiteral("payment_hash"), hex(hash)},
        {QStringLiteral("wallet_id"), m_walletId},
        // Outgoing: amount and fee are negative msat.
        {QStringLiteral("amount"), -payment.amountMsat},
        {QStringLiteral("fee"), -payment.feeMsat},
        {QStringLiteral("bolt11"), payment.bolt11},
        {QStringLiteral("status"), payment.status},
        {QStringLiteral("memo"), QStringLiteral("conformance")},
        {QStringLiteral("preimage"), payment.status == QLatin1String("success")
                                         ? QJsonValue(hex(payment.preimage))
                                         : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("expiry"), now + 3600},
        {QStringLiteral("extra"), QJsonObject()},
        {QStringLiteral("time"), now},
        {QStringLiteral("created_at"), now},
        {QStringLiteral("updated_at"), now},
    };
}

void FakeLnbits::settle(const QByteArray& hash, bool succeed)
{
    Payment& payment = m_payments[hash];
    if (succeed) {
        payment.status = QStringLiteral("success");
        payment.preimage = m_preimages.value(hash);
        payment.feeMsat = m_feeMsat;
    } else {
        payment.status = QStringLiteral("failed");
    }
}

void FakeLnbits::handlePay(const FakeRequest& request, FakeResponder& responder)
{
    const KeyType key = keyType(request);
    if (!authorized(key, responder)) {
        return;
    }
    const QJsonObject body = request.json().object();
    if (!request.json().isObject()) {
        m_violations.append(QStringLiteral("a payment request that is not JSON"));
    }
    if (body.value(QStringLiteral("out")) != QJsonValue(true)) {
        m_violations.append(QStringLiteral("a payment without \"out\": true (creates an invoice)"));
    }
    if (key != KeyType::Admin) {
        responder.replyJson(403, detailJson(QStringLiteral("Invalid adminkey.")), jsonHeaders());
        return;
    }
    const QString bolt11 = body.value(QStringLiteral("bolt11")).toString();
    if (bolt11.isEmpty()) {
        responder.replyJson(400,
                            detailJson(QStringLiteral("BOLT11 string is invalid or not given")),
                            jsonHeaders());
        return;
    }
    auto invoice = protocol::decodeInvoice(bolt11);
    if (!invoice) {
        responder.replyJson(
            520, paymentError(QStringLiteral("Bolt11 decoding failed."), QStringLiteral("failed")),
            jsonHeaders());
        return;
    }
    if (!invoice->amountMsat || *invoice->amountMsat == 0) {
        responder.replyJson(520,
                            paymentError(QStringLiteral("Amountless invoices not supported."),
                                         QStringLiteral("failed")),
                            jsonHeaders());
        return;
    }
    const QByteArray hash = invoice->paymentHash;
    const qint64 amountMsat = static_cast<qint64>(*invoice->amountMsat);
    if (m_behaviour == PayBehaviour::UnclearFailure) {
        // A repeat on a wallet the first attempt emptied: the record stays what it was.
        Payment record;
        record.amountMsat = amountMsat;
        record.bolt11 = bolt11;
        record.status = QStringLiteral("pending");
        m_payments.insert(hash, record);
        m_attempts[hash] += 1;
        if (m_unclearRecord != QLatin1String("pending")) {
            settle(hash, m_unclearRecord == QLatin1String("success"));
        }
        responder.replyJson(
            520, paymentError(QStringLiteral("Insufficient balance."), QStringLiteral("failed")),
            jsonHeaders());
        return;
    }
    if (m_checksBalanceFirst) {
        if (!balanceCovers(amountMsat, responder) || answerExisting(hash, responder)) {
            return;
        }
    } else if (answerExisting(hash, responder) || !balanceCovers(amountMsat, responder)) {
        return;
    }
    if (m_behaviour == PayBehaviour::ServerError) {
        // An unexpected exception before the payment was recorded: the generic handler.
        responder.replyJson(500, detailJson(QStringLiteral("database is locked")), jsonHeaders());
        return;
    }
    Payment payment;
    payment.amountMsat = amountMsat;
    payment.bolt11 = bolt11;
    payment.feeMsat = m_feeMsat; // the fee reserve until settled
    m_payments.insert(hash, payment);
    m_attempts[hash] += 1;
    switch (m_behaviour) {
    case PayBehaviour::Succeed:
    case PayBehaviour::WrongPreimage: {
        settle(hash, true);
        Payment answered = m_payments.value(hash);
        if (m_behaviour == PayBehaviour::WrongPreimage) {
            answered.preimage = QByteArray(32, '\x66');
        }
        responder.replyJson(201, QJsonDocument(paymentJson(hash, answered)), jsonHeaders());
        return;
    }
    case PayBehaviour::PendingThenSucceed:
        // The funding source did not finish within lnbits_funding_source_pay_invoice_wait_
        // seconds: LNbits answers with the pending payment.
        responder.replyJson(201, QJsonDocument(paymentJson(hash, m_payments.value(hash))),
                            jsonHeaders());
        QTimer::singleShot(m_settleDelay, this, [this, hash] { settle(hash, true); });
        return;
    case PayBehaviour::Fail:
        settle(hash, false);
        responder.replyJson(520,
                            paymentError(QStringLiteral("Payment failed: no route found"),
                                         QStringLiteral("failed")),
                            jsonHeaders());
        return;
    case PayBehaviour::DropThenSucceed:
    case PayBehaviour::DropThenFail: {
        HttpHeaders headers = jsonHeaders();
        headers.append({QByteArrayLiteral("Content-Length"), QByteArrayLiteral("600")});
        responder.startStream(201, headers);
        responder.writeChunk(QByteArrayLiteral("{\"checking_id\":\""));
        responder.closeAbruptly();
        const bool succeed = m_behaviour == PayBehaviour::DropThenSucceed;
        QTimer::singleShot(m_settleDelay, this, [this, hash, succeed] { settle(hash, succeed); });
        return;
    }
    case PayBehaviour::Hang:
        responder.neverAnswer();
        return;
    case PayBehaviour::ServerError:
    case PayBehaviour::UnclearFailure:
        return; // answered above
    }
}

void FakeLnbits::handleStatus(const FakeRequest& request, FakeResponder& responder)
{
    if (keyType(request) == KeyType::Unknown) {
        authorized(KeyType::Unknown, responder);
        return;
    }
    if (m_statusBroken) {
        responder.replyJson(500,
                            detailJson(QStringLiteral("Unexpected error: funding source "
                                                      "unavailable")),
                            jsonHeaders());
        return;
    }
    const QString hashText = request.path.mid(QStringLiteral("/api/v1/payments/").size());
    const QByteArray hash = QByteArray::fromHex(hashText.toLatin1());
    if (hash.size() != 32 || !m_payments.contains(hash)) {
        responder.replyJson(404, detailJson(QStringLiteral("Payment does not exist.")),
                            jsonHeaders());
        return;
    }
    // The key is optional here: with the wallet's key the answer carries "details".
    const bool withDetails = keyType(request) != KeyType::None;
    const Payment payment = m_payments.value(hash);
    QJsonObject answer;
    if (payment.status == QLatin1String("success")) {
        answer = QJsonObject{{QStringLiteral("paid"), true},
                             {QStringLiteral("preimage"), hex(payment.preimage)}};
    } else {
        answer = QJsonObject{{QStringLiteral("paid"), false},
                             {QStringLiteral("status"), payment.status}};
        if (payment.status == QLatin1String("pending")) {
            answer.insert(QStringLiteral("preimage"), QJsonValue(QJsonValue::Null));
        }
    }
    if (withDetails) {
        answer.insert(QStringLiteral("details"), paymentJson(hash, payment));
    }
    responder.replyJson(200, QJsonDocument(answer), jsonHeaders());
}

} // namespace l402::test
