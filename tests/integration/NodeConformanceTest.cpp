#include "core/crypto/Digest.h"
#include "core/node/LndNode.h"
#include "core/protocol/Bolt11.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/TestCertificates.h"
#include "tests/support/TestSeed.h"

#include <QEventLoop>
#include <QRandomGenerator>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace l402;
using namespace l402::node;

namespace {

// Waits for one asynchronous node call (tests only), failing after a deadline.
template <typename T, typename Start> std::optional<T> await(Start start, int timeoutMs = 20'000)
{
    auto outcome = std::make_shared<std::optional<T>>();
    QEventLoop loop;
    start([outcome, &loop](T value) {
        outcome->emplace(std::move(value));
        loop.quit();
    });
    if (!*outcome) {
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return std::move(*outcome);
}

const QByteArray kPayeeKey = crypto::sha256("fake payee");

struct TestInvoice {
    QString text;
    QByteArray paymentHash;
    QByteArray preimage;
};

TestInvoice makeInvoice(QRandomGenerator& random, int64_t amountMsat = 21'000)
{
    TestInvoice out;
    out.preimage = test::randomBytes(random, 32);
    out.paymentHash = crypto::sha256(out.preimage);
    protocol::InvoiceDraft draft;
    draft.network = protocol::Network::Regtest;
    draft.amountMsat = amountMsat;
    draft.timestamp = QDateTime::currentSecsSinceEpoch();
    draft.paymentHash = out.paymentHash;
    draft.paymentSecret = test::randomBytes(random, 32);
    draft.description = QStringLiteral("conformance");
    draft.features = {8, 14};
    out.text = protocol::encodeInvoice(draft, kPayeeKey).value();
    return out;
}

PayRequest payRequest(const TestInvoice& invoice,
                      std::chrono::seconds timeout = std::chrono::seconds(30))
{
    PayRequest request;
    request.invoice = invoice.text;
    request.paymentHash = invoice.paymentHash;
    request.amountMsat = 21'000;
    request.maxFeeMsat = 10'000;
    request.timeout = timeout;
    return request;
}

} // namespace

// One conformance suite for every backend: the same test bodies run against each node's
// faithful double. (LND today; the other backends add their double and fixture here.)
class NodeConformanceTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<test::FakeLnd> m_lnd;
    std::unique_ptr<LightningNode> m_node;
    QRandomGenerator m_random{0};

    LndNode::Config lndConfig() const
    {
        LndNode::Config config;
        config.url = m_lnd->url();
        config.macaroon = m_lnd->macaroon();
        config.tlsCertificate = {m_lnd->certificate()};
        config.responseSlack = std::chrono::milliseconds(500);
        return config;
    }

private Q_SLOTS:
    void initTestCase() { m_random.seed(test::testSeed("NodeConformanceTest")); }

    void init()
    {
        m_lnd = std::make_unique<test::FakeLnd>();
        QVERIFY(m_lnd->start());
        m_node = std::make_unique<LndNode>(lndConfig());
    }

    void cleanup()
    {
        if (m_lnd) {
            QVERIFY2(m_lnd->violations().isEmpty(),
                     qPrintable(m_lnd->violations().join(QLatin1String("; "))));
        }
        m_node.reset();
        m_lnd.reset();
    }

    void infoAndBalance()
    {
        auto info = await<Result<NodeInfo>>([&](auto done) { m_node->info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(info->value().alias, QStringLiteral("fake-lnd"));
        QCOMPARE(info->value().network, protocol::Network::Regtest);
        QCOMPARE(info->value().pubkey.size(), 33);
        m_lnd->setBalanceMsat(123'456'789);
        auto balance = await<Result<Balance>>([&](auto done) { m_node->balance(done); });
        QVERIFY(balance && balance->ok());
        QCOMPARE(balance->value().spendableMsat, 123'456'789); // int64 sent as a string
    }

    void paySucceedsWithItsPreimage()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->registerPreimage(invoice.preimage);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(result->preimage, invoice.preimage);
        QCOMPARE(result->feeMsat, 1'234);
        QCOMPARE(m_lnd->sendCalls(invoice.paymentHash), 1);
        // The fee limit and timeout were sent, as strings/ints LND accepts.
        const QJsonObject body = m_lnd->server().requests().last().json().object();
        QCOMPARE(body.value(QStringLiteral("fee_limit_msat")).toString(), QStringLiteral("10000"));
        QCOMPARE(body.value(QStringLiteral("timeout_seconds")).toInt(), 30);
    }

    void payFailsDefinitely()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->setPayBehaviour(test::FakeLnd::PayBehaviour::Fail);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(result->failureCode, QStringLiteral("no_route"));
    }

    // 409 AlreadyExists: the node has this payment; the backend tracks it and never pays again.
    void alreadyKnownPaymentIsTrackedNotRepaid()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->registerPreimage(invoice.preimage);
        QVERIFY(await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); }));
        auto again =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(again);
        QCOMPARE(again->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(again->preimage, invoice.preimage);
        QCOMPARE(m_lnd->payments().size(), 1);
        QCOMPARE(m_lnd->server().requestCount(
                     "GET", QStringLiteral("/v2/router/track/") +
                                QString::fromLatin1(
                                    invoice.paymentHash.toBase64(QByteArray::Base64UrlEncoding))),
                 1);
    }

    // An error line on HTTP 200 is not proof that nothing was paid: in flight, and the
    // lookup then says the node never started it.
    void errorLineIsInFlightUntilLookupSaysNotFound()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->setPayBehaviour(test::FakeLnd::PayBehaviour::ErrorLine);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        QVERIFY(result->failureMessage.contains(QLatin1String("invoice expired")));
        auto lookup = await<Result<PaymentResult>>(
            [&](auto done) { m_node->lookup(invoice.paymentHash, done); });
        QVERIFY(lookup && !lookup->ok());
        QCOMPARE(lookup->error().code, QLatin1String(node_error::kNotFound));
    }

    // A dropped stream mid-payment: in flight, never failed; lookup later finds the outcome.
    void droppedStreamIsInFlightThenReconciled_data()
    {
        QTest::addColumn<bool>("succeeds");
        QTest::newRow("settles") << true;
        QTest::newRow("fails") << false;
    }
    void droppedStreamIsInFlightThenReconciled()
    {
        QFETCH(bool, succeeds);
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->registerPreimage(invoice.preimage);
        m_lnd->setPayBehaviour(succeeds ? test::FakeLnd::PayBehaviour::DropThenSucceed
                                        : test::FakeLnd::PayBehaviour::DropThenFail);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        // Reconciliation: poll the node's lookup until it has a final answer.
        std::optional<Result<PaymentResult>> lookup;
        QDeadlineTimer deadline(10'000);
        do {
            lookup = await<Result<PaymentResult>>(
                [&](auto done) { m_node->lookup(invoice.paymentHash, done); });
            QVERIFY(lookup && lookup->ok());
        } while (lookup->value().outcome == PaymentResult::Outcome::InFlight &&
                 !deadline.hasExpired() && (QTest::qWait(20), true));
        QCOMPARE(lookup->value().outcome,
                 succeeds ? PaymentResult::Outcome::Succeeded : PaymentResult::Outcome::Failed);
        if (succeeds) {
            QCOMPARE(lookup->value().preimage, invoice.preimage);
        }
        QCOMPARE(m_lnd->payments().size(), 1);
    }

    void slowNodeIsInFlightAfterTheTimeout()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->setPayBehaviour(test::FakeLnd::PayBehaviour::Hang);
        auto result = await<PaymentResult>(
            [&](auto done) { m_node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        QVERIFY(result->failureMessage.contains(QLatin1String("did not answer in time")));
    }

    void successWithAForeignPreimageIsNotSuccess()
    {
        const TestInvoice invoice = makeInvoice(m_random);
        m_lnd->setPayBehaviour(test::FakeLnd::PayBehaviour::WrongPreimage);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        QVERIFY(result->failureMessage.contains(QLatin1String("preimage")));
    }

    void wrongCredentialsAreUnauthorized()
    {
        LndNode::Config config = lndConfig();
        config.macaroon = QByteArray("not the macaroon");
        LndNode node(config);
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kUnauthorized));
        const TestInvoice invoice = makeInvoice(m_random);
        auto result = await<PaymentResult>([&](auto done) { node.pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(result->failureCode, QLatin1String(node_error::kUnauthorized));
        QCOMPARE(m_lnd->totalSendCalls(), 0);
    }

    void wrongCertificateIsRefused()
    {
        LndNode::Config config = lndConfig();
        config.tlsCertificate = {test::makeSelfSignedCertificate().value().certificate()};
        LndNode node(config);
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kCertificate));
        QCOMPARE(m_lnd->server().requestCount(), 0);
    }

    void spkiPin()
    {
        LndNode::Config pinned = lndConfig();
        pinned.tlsCertificate.clear();
        pinned.spkiPin = test::spkiSha256(m_lnd->certificate());
        LndNode good(pinned);
        auto info = await<Result<NodeInfo>>([&](auto done) { good.info(done); });
        QVERIFY2(info && info->ok(),
                 info && !info->ok() ? qPrintable(info->error().message) : "timeout");
        pinned.spkiPin = crypto::sha256("another key");
        LndNode bad(pinned);
        auto refused = await<Result<NodeInfo>>([&](auto done) { bad.info(done); });
        QVERIFY(refused && !refused->ok());
        QCOMPARE(refused->error().code, QLatin1String(node_error::kCertificate));
    }

    void unreachableNode()
    {
        LndNode::Config config = lndConfig();
        const quint16 port = m_lnd->server().port();
        m_lnd->server().close();
        config.url = QUrl(QStringLiteral("https://127.0.0.1:%1").arg(port));
        LndNode node(config);
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kUnreachable));
        QVERIFY(info->error().message.contains(QLatin1String("refused")));
    }

    void cancelledCallNeverCallsBack()
    {
        bool called = false;
        CallHandle handle = m_node->info([&](Result<NodeInfo>) { called = true; });
        handle.cancel();
        QVERIFY(m_lnd->server().waitForRequests(1));
        QTest::qWait(200);
        QVERIFY(!called);
    }

    void lndConnectImport()
    {
        const QByteArray der = m_lnd->certificate().toDer();
        const QString uri =
            QStringLiteral("lndconnect://127.0.0.1:%1?cert=%2&macaroon=%3")
                .arg(m_lnd->server().port())
                .arg(QString::fromLatin1(der.toBase64(QByteArray::Base64UrlEncoding |
                                                      QByteArray::OmitTrailingEquals)),
                     QString::fromLatin1(m_lnd->macaroon().toBase64(
                         QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)));
        auto config = LndNode::parseLndConnect(uri);
        QVERIFY(config.ok());
        QCOMPARE(config->macaroon, m_lnd->macaroon());
        QCOMPARE(config->tlsCertificate.value(0), m_lnd->certificate());
        LndNode node(config.value());
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && info->ok());
        QVERIFY(!LndNode::parseLndConnect(QStringLiteral("lndconnect://host:1?macaroon=%%%")).ok());
        QVERIFY(!LndNode::parseLndConnect(QStringLiteral("https://host:1")).ok());
    }
};

QTEST_GUILESS_MAIN(NodeConformanceTest)
#include "NodeConformanceTest.moc"
