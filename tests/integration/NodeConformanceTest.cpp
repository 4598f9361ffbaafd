#include "core/crypto/Digest.h"
#include "core/crypto/Nip44.h"
#include "core/crypto/Schnorr.h"
#include "core/node/DemoNode.h"
#include "core/node/LndNode.h"
#include "core/payments/PaymentEngine.h"
#include "core/policy/ApprovalBroker.h"
#include "core/protocol/Bolt11.h"
#include "core/protocol/Macaroon.h"
#include "core/protocol/NostrEvent.h"
#include "tests/integration/ClnFixture.h"
#include "tests/integration/DemoFixture.h"
#include "tests/integration/LnbitsFixture.h"
#include "tests/integration/LndFixture.h"
#include "tests/integration/NwcFixture.h"
#include "tests/integration/PhoenixdFixture.h"
#include "tests/support/StoreFixtures.h"
#include "tests/support/TestSeed.h"

#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace l402;
using namespace l402::node;
using l402::test::NodeFixture;

namespace {

// Every backend's fixture. A new backend adds its double and one line here; every test body
// below then runs against it too.
QList<std::pair<QString, test::NodeFixtureFactory>> fixtures()
{
    return {
        {QStringLiteral("lnd"),
         [] {
             return std::make_unique<test::LndFixture>();
         }},
        {QStringLiteral("demo"),
         [] {
             return std::make_unique<test::DemoFixture>();
         }},
        {QStringLiteral("nwc"),
         [] {
             return std::make_unique<test::NwcFixture>();
         }},
        {QStringLiteral("cln"),
         [] {
             return std::make_unique<test::ClnFixture>();
         }},
        {QStringLiteral("lnbits"),
         [] {
             return std::make_unique<test::LnbitsFixture>();
         }},
        {QStringLiteral("phoenixd"),
         [] {
             return std::make_unique<test::PhoenixdFixture>();
         }},
    };
}

// The same backends in their other real modes: Core Lightning with the old pay plugin (xpay
// off), and NWC services that omit lookup_invoice's optional `state`, have no
// lookup_invoice, or have no get_info. The money rows run over these too.
QList<std::pair<QString, test::NodeFixtureFactory>> modeFixtures()
{
    using Nwc = test::NwcFixture;
    return {
        {QStringLiteral("cln-pay"),
         [] {
             return std::make_unique<test::ClnFixture>(test::ClnFixture::Plugin::LegacyPay);
         }},
        {QStringLiteral("nwc-nostate"),
         [] {
             return std::make_unique<Nwc>(Nwc::Service::WithoutState);
         }},
        {QStringLiteral("nwc-nolookup"),
         [] {
             return std::make_unique<Nwc>(Nwc::Service::WithoutLookup);
         }},
        {QStringLiteral("nwc-noinfo"),
         [] {
             return std::make_unique<Nwc>(Nwc::Service::WithoutInfo);
         }},
    };
}

QList<std::pair<QString, test::NodeFixtureFactory>> allFixtures()
{
    return fixtures() + modeFixtures();
}

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

// An Aperture-style L402 challenge for the invoice.
QByteArray challengeFor(const TestInvoice& invoice, QRandomGenerator& random)
{
    protocol::L402Identifier identifier;
    identifier.paymentHash = invoice.paymentHash;
    identifier.tokenId = test::randomBytes(random, 32);
    const auto macaroon = protocol::Macaroon::mint(test::randomBytes(random, 32),
                                                   identifier.encode(), QStringLiteral("lsat"));
    return QByteArray("L402 macaroon=\"") + macaroon.toBase64() + "\", invoice=\"" +
           invoice.text.toLatin1() + "\"";
}

// The whole wallet over the backend under test (an encrypted store, the payment engine, a
// rule that pays automatically), so a row asserts what the user's history and budget show,
// not only what the backend said.
class WalletOverNode {
public:
    [[nodiscard]] bool start(LightningNode& node)
    {
        auto opened = test::openWalletAndWait(
            test::passphraseRequest(m_dir.path() + QStringLiteral("/wallet"), "pw"), nullptr,
            SystemClock::instance());
        if (!m_dir.isValid() || !opened) {
            return false;
        }
        m_store = std::move(opened.value());
        m_broker = std::make_unique<policy::ApprovalBroker>(SystemClock::instance());
        // A short payment timeout: a payment the node keeps pending is answered "pending"
        // after it, as with the default 60 s.
        payments::EngineSettings settings;
        settings.paymentTimeout = std::chrono::seconds(3);
        m_engine = std::make_unique<payments::PaymentEngine>(*m_store, node, *m_broker,
                                                             SystemClock::instance(), settings);
        policy::BudgetRule rule;
        rule.pattern = QStringLiteral("*");
        rule.mode = policy::Mode::Auto;
        if (!m_engine->budgets().saveRule(rule)) {
            return false;
        }
        m_engine->start();
        return QTest::qWaitFor([this] { return m_engine->isReady(); }, 15'000);
    }

    // An agent's request met a 402 for `invoice`: what the engine answers it.
    std::optional<Result<payments::Credential>> pay(const TestInvoice& invoice,
                                                    QRandomGenerator& random)
    {
        payments::RequestContext context;
        context.origin = policy::Origin::parse(QStringLiteral("https://api.example")).value();
        context.agent = QStringLiteral("agent");
        context.path = QStringLiteral("/v1/x");
        return await<Result<payments::Credential>>(
            [&](auto done) {
                m_engine->handlePaymentRequired(context, {challengeFor(invoice, random)}, done);
            },
            60'000);
    }

    // The history's status of the hash's payment ("none" without one).
    QString status(const QByteArray& paymentHash)
    {
        auto statement =
            m_store->database().prepare("SELECT status FROM payments WHERE payment_hash = ?");
        if (!statement) {
            return QStringLiteral("error");
        }
        statement->bind(1, QByteArrayView(paymentHash));
        return statement->step() ? statement->text(0) : QStringLiteral("none");
    }

    // Budget money still held for payments whose end is not known.
    int64_t heldReservations()
    {
        auto statement = m_store->database().prepare(
            "SELECT count(*) FROM reservations WHERE released_at IS NULL");
        return statement && statement->step() ? statement->integer(0) : -1;
    }

    int64_t tokens()
    {
        auto statement = m_store->database().prepare("SELECT count(*) FROM tokens");
        return statement && statement->step() ? statement->integer(0) : -1;
    }

    // Runs reconciliation until the hash's payment leaves in_flight or the deadline passes.
    QString reconcile(const QByteArray& paymentHash, int timeoutMs = 5'000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (status(paymentHash) == QLatin1String("in_flight") && !deadline.hasExpired()) {
            m_engine->reconcileNow();
            QTest::qWait(50);
        }
        return status(paymentHash);
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<store::WalletStore> m_store;
    std::unique_ptr<policy::ApprovalBroker> m_broker;
    std::unique_ptr<payments::PaymentEngine> m_engine;
};

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

// One conformance suite for every backend (DESIGN §3, issue "Lightning backends"): the same
// test bodies run against each backend's faithful double, row by row.
class NodeConformanceTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<NodeFixture> m_fixture;
    std::unique_ptr<LightningNode> m_node;
    QRandomGenerator m_random{0};

    // An invoice the backend under test can pay: its own payee's when it has one (demo).
    TestInvoice invoiceFor(int64_t amountMsat = 21'000)
    {
        if (auto issued = m_fixture->issueInvoice(amountMsat)) {
            return TestInvoice{issued->text, issued->paymentHash, issued->preimage};
        }
        return makeInvoice(m_random, amountMsat);
    }

    // Skips the current row when the fixture cannot produce `behaviour`.
    bool setBehaviourOrSkip(NodeFixture::PayBehaviour behaviour)
    {
        if (!m_fixture->supports(behaviour)) {
            return false;
        }
        m_fixture->setPayBehaviour(behaviour);
        return true;
    }

    void addBackendRows()
    {
        QTest::addColumn<QString>("backend");
        for (const auto& [name, factory] : fixtures()) {
            QTest::newRow(qPrintable(name)) << name;
        }
    }

    // Every backend in every mode, `tag` named after the row's case.
    void addAllModeRows(const QStringList& cases = {QString()})
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("tag");
        for (const auto& [name, factory] : allFixtures()) {
            for (const QString& tag : cases) {
                const QString row = tag.isEmpty() ? name : name + QLatin1Char(' ') + tag;
                QTest::newRow(qPrintable(row)) << name << tag;
            }
        }
    }

    // The wallet asked for the invoice and answered one of: paid (a credential), pending
    // (the node holds the payment), failed (nothing went out).
    static QString answerOf(const std::optional<Result<payments::Credential>>& answer)
    {
        if (!answer) {
            return QStringLiteral("no answer");
        }
        if (answer->ok()) {
            return QStringLiteral("paid");
        }
        return answer->error().code;
    }

private Q_SLOTS:
    void initTestCase() { m_random.seed(test::testSeed("NodeConformanceTest")); }

    void init()
    {
        if (!QTest::currentDataTag()) {
            return; // backend-specific tests build their own fixture
        }
        const QString backend =
            QString::fromLatin1(QTest::currentDataTag()).section(QLatin1Char(' '), 0, 0);
        for (const auto& [name, factory] : allFixtures()) {
            if (name == backend) {
                m_fixture = factory();
            }
        }
        QVERIFY2(m_fixture, "no fixture for this row");
        QVERIFY(m_fixture->start());
        m_node = m_fixture->node();
    }

    void cleanup()
    {
        if (m_fixture) {
            QVERIFY2(m_fixture->violations().isEmpty(),
                     qPrintable(m_fixture->violations().join(QLatin1String("; "))));
        }
        m_node.reset();
        m_fixture.reset();
    }

    void infoAndBalance_data() { addBackendRows(); }
    void infoAndBalance()
    {
        auto info = await<Result<NodeInfo>>([&](auto done) { m_node->info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(info->value().alias, m_fixture->expectedAlias());
        QCOMPARE(info->value().network, protocol::Network::Regtest);
        m_fixture->setBalanceMsat(123'456'789);
        auto balance = await<Result<Balance>>([&](auto done) { m_node->balance(done); });
        QVERIFY(balance && balance->ok());
        const int64_t step = m_fixture->balanceResolutionMsat();
        QCOMPARE(balance->value().spendableMsat, 123'456'789 / step * step);
    }

    void paySucceedsWithItsPreimage_data() { addBackendRows(); }
    void paySucceedsWithItsPreimage()
    {
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(result->preimage, invoice.preimage);
        QCOMPARE(result->feeMsat, m_fixture->expectedFeeMsat());
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    void payFailsDefinitely_data() { addBackendRows(); }
    void payFailsDefinitely()
    {
        const TestInvoice invoice = invoiceFor();
        if (!setBehaviourOrSkip(NodeFixture::PayBehaviour::Fail)) {
            QSKIP("this backend cannot simulate that");
        }
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
        QVERIFY(!result->failureCode.isEmpty());
    }

    // Paying a hash the node already paid: the backend reports the existing payment and the
    // node never pays twice.
    void secondPayOfAHashIsNotASecondPayment_data() { addBackendRows(); }
    void secondPayOfAHashIsNotASecondPayment()
    {
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        QVERIFY(await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); }));
        auto again =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(again);
        QVERIFY(again->outcome != PaymentResult::Outcome::Failed);
        if (again->outcome == PaymentResult::Outcome::Succeeded) {
            QCOMPARE(again->preimage, invoice.preimage);
        }
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    // Paying a hash again while the node still holds the first attempt pending (LND 409 "in
    // transition", CLN PAY_IN_PROGRESS, LNbits 520 "pending", phoenixd "another payment is in
    // progress", NWC PAYMENT_FAILED then lookup): never failed, never a second payment; the
    // existing payment's end is reported by the pay call or by the lookup after it.
    void secondPayWhileTheFirstIsPendingFollowsIt_data() { addBackendRows(); }
    void secondPayWhileTheFirstIsPendingFollowsIt()
    {
        if (!m_fixture->supports(NodeFixture::PayBehaviour::Hang)) {
            QSKIP("this backend never leaves a payment pending");
        }
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        m_fixture->setPayBehaviour(NodeFixture::PayBehaviour::Hang);
        auto first = await<PaymentResult>(
            [&](auto done) { m_node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(first);
        QCOMPARE(first->outcome, PaymentResult::Outcome::InFlight);
        m_fixture->setPayBehaviour(NodeFixture::PayBehaviour::Succeed);
        QTimer context;
        QTimer::singleShot(200, &context,
                           [&] { QVERIFY(m_fixture->settlePending(invoice.paymentHash, true)); });
        auto again =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(again);
        QVERIFY(again->outcome != PaymentResult::Outcome::Failed);
        if (m_fixture->followsPendingPayments()) {
            QCOMPARE(again->outcome, PaymentResult::Outcome::Succeeded);
        }
        PaymentResult outcome = *again;
        // Backends that cannot follow a pending payment (NWC) answer in flight; the lookup
        // that reconciliation runs then finds the end.
        QDeadlineTimer deadline(10'000);
        while (outcome.outcome == PaymentResult::Outcome::InFlight && !deadline.hasExpired()) {
            QTest::qWait(20);
            auto lookup = await<Result<PaymentResult>>(
                [&](auto done) { m_node->lookup(invoice.paymentHash, done); });
            QVERIFY(lookup && lookup->ok());
            outcome = lookup->value();
        }
        QCOMPARE(outcome.outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(outcome.preimage, invoice.preimage);
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    // The money rows (issue 16): what the wallet records when the node is asked to pay a hash
    // it already holds. Such a repeat reaches a node when the wallet's own ledger did not
    // know the hash (a restored wallet, another wallet on the same node); the wallet's
    // ledger itself never sends a hash twice.
    //
    // Pay again while the node still has the hash in flight: never failed, never a second
    // send, the reservation held until the node's end is known, then history and budget
    // follow that end.
    void walletRepeatPayWhileInFlight_data()
    {
        addAllModeRows({QStringLiteral("settles"), QStringLiteral("fails")});
    }
    void walletRepeatPayWhileInFlight()
    {
        QFETCH(QString, tag);
        const bool succeeds = tag == QLatin1String("settles");
        if (!m_fixture->supports(NodeFixture::PayBehaviour::Hang)) {
            QSKIP("this backend never leaves a payment pending");
        }
        WalletOverNode wallet;
        QVERIFY(wallet.start(*m_node));
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        // What a real wallet's balance leaves after the first attempt: LNbits then refuses
        // the repeat as "Insufficient balance." before it looks at the hash.
        m_fixture->setBalanceMsat(30'000);
        m_fixture->setPayBehaviour(NodeFixture::PayBehaviour::Hang);
        auto first = await<PaymentResult>(
            [&](auto done) { m_node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(first);
        QCOMPARE(first->outcome, PaymentResult::Outcome::InFlight);
        m_fixture->setPayBehaviour(NodeFixture::PayBehaviour::Succeed);

        QTimer context;
        QTimer::singleShot(300, &context, [&] {
            QVERIFY(m_fixture->settlePending(invoice.paymentHash, succeeds));
        });
        // Followed to the node's own end (failed only once the node failed it), or, where
        // the backend cannot follow (NWC), pending with the money held: never failed early.
        const QString answer = answerOf(wallet.pay(invoice, m_random));
        if (m_fixture->followsPendingPayments()) {
            QCOMPARE(answer, succeeds
                                 ? QStringLiteral("paid")
                                 : QString::fromLatin1(payments::engine_error::kPaymentFailed));
        } else {
            QCOMPARE(answer, QString::fromLatin1(payments::engine_error::kPaymentPending));
            QCOMPARE(wallet.status(invoice.paymentHash), QStringLiteral("in_flight"));
            QCOMPARE(wallet.heldReservations(), 1);
        }
        const bool knowable =
            m_fixture->lookupDepth() == NodeFixture::LookupDepth::Full ||
            (succeeds && m_fixture->lookupDepth() != NodeFixture::LookupDepth::None);
        const QString end = wallet.reconcile(invoice.paymentHash);
        if (knowable || m_fixture->followsPendingPayments()) {
            QCOMPARE(end, succeeds ? QStringLiteral("succeeded") : QStringLiteral("failed"));
            QCOMPARE(wallet.heldReservations(), 0);
            QCOMPARE(wallet.tokens(), succeeds ? 1 : 0);
        } else {
            QCOMPARE(end, QStringLiteral("in_flight"));
            QCOMPARE(wallet.heldReservations(), 1);
        }
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    // Pay again after the node paid the hash: the existing payment is the answer, with its
    // preimage; nothing is sent twice. Where the node cannot say (NWC without lookup), the
    // money stays held, never counted as failed.
    void walletRepeatPayAfterSuccess_data() { addAllModeRows(); }
    void walletRepeatPayAfterSuccess()
    {
        WalletOverNode wallet;
        QVERIFY(wallet.start(*m_node));
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        auto first =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(first);
        QCOMPARE(first->outcome, PaymentResult::Outcome::Succeeded);

        const QString answer = answerOf(wallet.pay(invoice, m_random));
        if (m_fixture->lookupDepth() == NodeFixture::LookupDepth::None) {
            QCOMPARE(answer, QString::fromLatin1(payments::engine_error::kPaymentPending));
            QCOMPARE(wallet.status(invoice.paymentHash), QStringLiteral("in_flight"));
            QCOMPARE(wallet.heldReservations(), 1);
        } else {
            QCOMPARE(answer, QStringLiteral("paid"));
            QCOMPARE(wallet.status(invoice.paymentHash), QStringLiteral("succeeded"));
            QCOMPARE(wallet.heldReservations(), 0);
            QCOMPARE(wallet.tokens(), 1);
        }
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    // A pay answer that reads like a failure (the backend's real one for a hash it holds)
    // is final only when the node's record agrees: pending and unreadable records keep the
    // payment in flight with its reservation, a settled one is the payment, a failed one
    // (or none) frees the money.
    void walletUnclearFailureThenLookup_data()
    {
        addAllModeRows({QStringLiteral("pending"), QStringLiteral("succeeded"),
                        QStringLiteral("failed"), QStringLiteral("unreadable")});
    }
    void walletUnclearFailureThenLookup()
    {
        QFETCH(QString, tag);
        static const QHash<QString, NodeFixture::NodeRecord> records = {
            {QStringLiteral("pending"), NodeFixture::NodeRecord::Pending},
            {QStringLiteral("succeeded"), NodeFixture::NodeRecord::Succeeded},
            {QStringLiteral("failed"), NodeFixture::NodeRecord::Failed},
            {QStringLiteral("unreadable"), NodeFixture::NodeRecord::Unreadable},
        };
        const NodeFixture::NodeRecord record = records.value(tag);
        WalletOverNode wallet;
        QVERIFY(wallet.start(*m_node));
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        if (!m_fixture->failUnclearly(record)) {
            QSKIP("this backend has no failure answer that could hide a payment");
        }
        const auto depth = m_fixture->lookupDepth();
        QString expected = QString::fromLatin1(payments::engine_error::kPaymentPending);
        if (record == NodeFixture::NodeRecord::Succeeded &&
            depth != NodeFixture::LookupDepth::None) {
            expected = QStringLiteral("paid");
        } else if (record == NodeFixture::NodeRecord::Failed &&
                   depth == NodeFixture::LookupDepth::Full) {
            expected = QString::fromLatin1(payments::engine_error::kPaymentFailed);
        }
        QCOMPARE(answerOf(wallet.pay(invoice, m_random)), expected);
        static const QHash<QString, QString> statusOf = {
            {QStringLiteral("paid"), QStringLiteral("succeeded")},
            {QString::fromLatin1(payments::engine_error::kPaymentPending),
             QStringLiteral("in_flight")},
            {QString::fromLatin1(payments::engine_error::kPaymentFailed), QStringLiteral("failed")},
        };
        QCOMPARE(wallet.status(invoice.paymentHash), statusOf.value(expected));
        QCOMPARE(wallet.heldReservations(),
                 statusOf.value(expected) == QLatin1String("in_flight") ? 1 : 0);
        QCOMPARE(wallet.tokens(), expected == QLatin1String("paid") ? 1 : 0);
        // Reconciliation learns nothing new from the same record, and never pays.
        wallet.reconcile(invoice.paymentHash, 300);
        QCOMPARE(wallet.status(invoice.paymentHash), statusOf.value(expected));
        QVERIFY(m_fixture->paymentsMade(invoice.paymentHash) <= 1);
    }

    // An error that does not prove nothing was paid is in flight; the lookup then settles it.
    void uncertainErrorIsInFlightUntilLookup_data() { addBackendRows(); }
    void uncertainErrorIsInFlightUntilLookup()
    {
        const TestInvoice invoice = invoiceFor();
        if (!setBehaviourOrSkip(NodeFixture::PayBehaviour::UncertainError)) {
            QSKIP("this backend cannot simulate that");
        }
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        auto lookup = await<Result<PaymentResult>>(
            [&](auto done) { m_node->lookup(invoice.paymentHash, done); });
        QVERIFY(lookup);
        QVERIFY(!lookup->ok() ? lookup->error().code == QLatin1String(node_error::kNotFound)
                              : lookup->value().outcome == PaymentResult::Outcome::Failed);
    }

    // A dropped connection mid-payment: in flight, never failed; lookup finds the outcome.
    void droppedConnectionIsInFlightThenReconciled_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("succeeds");
        for (const auto& [name, factory] : fixtures()) {
            QTest::newRow(qPrintable(name + QStringLiteral(" settles"))) << name << true;
            QTest::newRow(qPrintable(name + QStringLiteral(" fails"))) << name << false;
        }
    }
    void droppedConnectionIsInFlightThenReconciled()
    {
        QFETCH(bool, succeeds);
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        if (!setBehaviourOrSkip(succeeds ? NodeFixture::PayBehaviour::DropThenSucceed
                                         : NodeFixture::PayBehaviour::DropThenFail)) {
            QSKIP("this backend has no connection to drop");
        }
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
        std::optional<Result<PaymentResult>> lookup;
        QDeadlineTimer deadline(10'000);
        for (;;) {
            lookup = await<Result<PaymentResult>>(
                [&](auto done) { m_node->lookup(invoice.paymentHash, done); });
            QVERIFY(lookup && lookup->ok());
            if (lookup->value().outcome != PaymentResult::Outcome::InFlight ||
                deadline.hasExpired()) {
                break;
            }
            QTest::qWait(20);
        }
        QCOMPARE(lookup->value().outcome,
                 succeeds ? PaymentResult::Outcome::Succeeded : PaymentResult::Outcome::Failed);
        if (succeeds) {
            QCOMPARE(lookup->value().preimage, invoice.preimage);
        }
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 1);
    }

    void slowNodeIsInFlightAfterTheTimeout_data() { addBackendRows(); }
    void slowNodeIsInFlightAfterTheTimeout()
    {
        const TestInvoice invoice = invoiceFor();
        if (!setBehaviourOrSkip(NodeFixture::PayBehaviour::Hang)) {
            QSKIP("this backend cannot simulate that");
        }
        auto result = await<PaymentResult>(
            [&](auto done) { m_node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
    }

    void successWithAForeignPreimageIsNotSuccess_data() { addBackendRows(); }
    void successWithAForeignPreimageIsNotSuccess()
    {
        const TestInvoice invoice = invoiceFor();
        if (!setBehaviourOrSkip(NodeFixture::PayBehaviour::WrongPreimage)) {
            QSKIP("this backend cannot simulate that");
        }
        auto result =
            await<PaymentResult>([&](auto done) { m_node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
    }

    void wrongCredentialsAreUnauthorized_data() { addBackendRows(); }
    void wrongCredentialsAreUnauthorized()
    {
        auto node = m_fixture->nodeWithWrongCredentials();
        if (!node) {
            QSKIP("this backend has no credentials");
        }
        auto info = await<Result<NodeInfo>>([&](auto done) { node->info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kUnauthorized));
        const TestInvoice invoice = invoiceFor();
        m_fixture->registerPreimage(invoice.preimage);
        auto result =
            await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(result->failureCode, QLatin1String(node_error::kUnauthorized));
        QCOMPARE(m_fixture->paymentsMade(invoice.paymentHash), 0);
    }

    void wrongCertificateIsRefused_data() { addBackendRows(); }
    void wrongCertificateIsRefused()
    {
        auto node = m_fixture->nodeWithWrongCertificate();
        if (!node) {
            QSKIP("this backend has no TLS certificate to check");
        }
        auto info = await<Result<NodeInfo>>([&](auto done) { node->info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kCertificate));
    }

    void unreachableNode_data() { addBackendRows(); }
    void unreachableNode()
    {
        auto node = m_fixture->nodeAfterShutdown();
        if (!node) {
            QSKIP("this backend runs in process");
        }
        auto info = await<Result<NodeInfo>>([&](auto done) { node->info(done); });
        QVERIFY(info && !info->ok());
        QCOMPARE(info->error().code, QLatin1String(node_error::kUnreachable));
        const TestInvoice invoice = invoiceFor();
        auto result =
            await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        // Nothing reached the node, but "unknown" is the only safe answer for a transport
        // failure; the lookup before any retry settles it.
        QVERIFY(result->outcome != PaymentResult::Outcome::Succeeded);
    }

    void cancelledCallNeverCallsBack_data() { addBackendRows(); }
    void cancelledCallNeverCallsBack()
    {
        bool called = false;
        CallHandle handle = m_node->info([&](Result<NodeInfo>) { called = true; });
        handle.cancel();
        QTest::qWait(300);
        QVERIFY(!called);
    }

    // Core Lightning specifics beyond the shared contract.
    void clnSendsMaxfeeAndRetryForAndTracksAHashItIsPaying()
    {
        test::ClnFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        fixture.setPayBehaviour(NodeFixture::PayBehaviour::Hang);
        auto first = await<PaymentResult>(
            [&](auto done) { node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(first);
        QCOMPARE(first->outcome, PaymentResult::Outcome::InFlight);
        const QJsonObject body = fixture.cln().server().requests().last().json().object();
        QCOMPARE(body.value(QStringLiteral("maxfee")).toInteger(), 10'000);
        QCOMPARE(body.value(QStringLiteral("retry_for")).toInt(), 1);
        QVERIFY(!body.contains(QStringLiteral("maxfeepercent")));
        QVERIFY(!body.contains(QStringLiteral("exemptfee")));
        // Paying again while the node is still paying: 500 {"code": 200}; the backend follows
        // the existing payment with listpays until it completes, and nothing is paid twice.
        fixture.setPayBehaviour(NodeFixture::PayBehaviour::Succeed);
        QTimer::singleShot(200, &fixture.cln(),
                           [&] { fixture.cln().settle(invoice.paymentHash, true); });
        auto again = await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(again);
        QCOMPARE(again->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(again->preimage, invoice.preimage);
        QCOMPARE(fixture.cln().attempts(invoice.paymentHash), 1);
        QVERIFY(fixture.cln().server().requestCount("POST", QStringLiteral("/v1/listpays")) >= 1);
    }

    void clnReadsMsatStringsAndSeveralAttempts()
    {
        const QByteArray preimage(32, '\x07');
        const QByteArray hash = crypto::sha256(preimage);
        const QJsonObject pay{
            {QStringLiteral("status"), QStringLiteral("complete")},
            {QStringLiteral("payment_preimage"), QString::fromLatin1(preimage.toHex())},
            {QStringLiteral("amount_msat"), QStringLiteral("21000msat")},
            {QStringLiteral("amount_sent_msat"), QStringLiteral("21500msat")}};
        auto paid = clnPayResult(pay);
        QVERIFY(paid.ok());
        QCOMPARE(paid->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(paid->feeMsat, 500);
        const QString hashHex = QString::fromLatin1(hash.toHex());
        const QJsonObject listpays{
            {QStringLiteral("pays"),
             QJsonArray{
                 QJsonObject{{QStringLiteral("payment_hash"), hashHex},
                             {QStringLiteral("status"), QStringLiteral("failed")}},
                 QJsonObject{{QStringLiteral("payment_hash"), hashHex},
                             {QStringLiteral("status"), QStringLiteral("complete")},
                             {QStringLiteral("preimage"), QString::fromLatin1(preimage.toHex())},
                             {QStringLiteral("amount_msat"), 21'000},
                             {QStringLiteral("amount_sent_msat"), 21'010}}}}};
        auto tracked = clnListpaysResult(listpays, hash);
        QVERIFY(tracked.ok());
        QCOMPARE(tracked->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(tracked->feeMsat, 10);
        auto none = clnListpaysResult(QJsonObject{{QStringLiteral("pays"), QJsonArray()}}, hash);
        QVERIFY(!none.ok());
        QCOMPARE(none.error().code, QLatin1String(node_error::kNotFound));
    }

    // LNbits specifics.
    void lnbitsDirectSuccessWithAFeeAboveTheLimitAndTheInvoiceKey()
    {
        test::LnbitsFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        fixture.lnbits().setPayBehaviour(test::FakeLnbits::PayBehaviour::Succeed);
        fixture.lnbits().setFeeMsat(20'000);
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        auto result =
            await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        // It happened: Succeeded with the real fee, and the overshoot said plainly.
        QCOMPARE(result->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(result->feeMsat, 20'000);
        QVERIFY(result->failureMessage.contains(QLatin1String("cannot cap")));
        // The invoice key can read but not pay: 401 before anything is recorded.
        node::LnbitsNode::Config invoiceKey = fixture.config();
        invoiceKey.adminKey = fixture.lnbits().invoiceKey();
        node::LnbitsNode readOnly(invoiceKey);
        const TestInvoice other = makeInvoice(m_random);
        auto refused =
            await<PaymentResult>([&](auto done) { readOnly.pay(payRequest(other), done); });
        QVERIFY(refused);
        QCOMPARE(refused->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(refused->failureCode, QLatin1String(node_error::kUnauthorized));
        QCOMPARE(fixture.lnbits().attempts(other.paymentHash), 0);
    }

    void lnbitsOverHttpsWithAGivenCertificate()
    {
        test::FakeLnbits tls;
        QVERIFY(tls.startTls());
        node::LnbitsNode::Config config;
        config.url = tls.url();
        config.adminKey = tls.adminKey();
        config.caCertificates = {tls.certificate()};
        config.network = protocol::Network::Regtest;
        node::LnbitsNode node(config);
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(info->value().network, protocol::Network::Regtest);
        QCOMPARE(tls.server().requests().last().header("X-Api-Key"), tls.adminKey());
    }

    // phoenixd specifics.
    void phoenixdBasicAuthFormBodyAndAFeeAboveTheLimit()
    {
        test::PhoenixdFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        fixture.phoenixd().setFeeMsat(12'345);
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        auto result =
            await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(result->feeMsat, 12'345); // from the lookup: routingFeeSat said 12
        QVERIFY(result->failureMessage.contains(QLatin1String("cannot cap")));
        const test::FakeRequest pay = fixture.phoenixd().server().requests().first();
        QCOMPARE(pay.path, QStringLiteral("/payinvoice"));
        QVERIFY(pay.header("Content-Type").startsWith("application/x-www-form-urlencoded"));
        const auto credentials = pay.basicCredentials();
        QVERIFY(credentials);
        QCOMPARE(credentials->user, QString());
        QCOMPARE(credentials->password.toUtf8(), fixture.phoenixd().password());
    }

    void phoenixdReportsTheBalanceInWholeSats()
    {
        test::PhoenixdFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        fixture.setBalanceMsat(123'456'789);
        auto balance = await<Result<Balance>>([&](auto done) { node->balance(done); });
        QVERIFY(balance && balance->ok());
        // /getbalance truncates to sats: the msat part is not knowable through phoenixd's API.
        QCOMPARE(balance->value().spendableMsat, 123'456'000);
    }

    // The demo node pays only the demo payee, from its simulated balance.
    void demoPaysOnlyItsPayeeFromSimulatedFunds()
    {
        auto ledger = std::make_shared<DemoLedger>(50'000);
        DemoNode node(ledger);
        const auto issued = ledger->issueInvoice(21'000, QStringLiteral("demo"));
        auto paid = await<PaymentResult>([&](auto done) {
            PayRequest request;
            request.invoice = issued.invoice;
            request.paymentHash = issued.paymentHash;
            node.pay(request, done);
        });
        QCOMPARE(paid->outcome, PaymentResult::Outcome::Succeeded);
        QCOMPARE(ledger->balanceMsat(), 29'000);
        const TestInvoice foreign = makeInvoice(m_random);
        auto refused =
            await<PaymentResult>([&](auto done) { node.pay(payRequest(foreign), done); });
        QCOMPARE(refused->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(refused->failureCode, QStringLiteral("no_route"));
        const auto tooExpensive = ledger->issueInvoice(30'000, QStringLiteral("demo"));
        auto poor = await<PaymentResult>([&](auto done) {
            PayRequest request;
            request.invoice = tooExpensive.invoice;
            request.paymentHash = tooExpensive.paymentHash;
            node.pay(request, done);
        });
        QCOMPARE(poor->failureCode, QStringLiteral("insufficient_balance"));
        QCOMPARE(ledger->balanceMsat(), 29'000);
    }

    // LND specifics beyond the shared contract.
    void lndSendsFeeLimitAndTimeoutAndTracksAfter409()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        QVERIFY(await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); }));
        const QJsonObject body = fixture.lnd().server().requests().last().json().object();
        QCOMPARE(body.value(QStringLiteral("fee_limit_msat")).toString(), QStringLiteral("10000"));
        QCOMPARE(body.value(QStringLiteral("timeout_seconds")).toInt(), 30);
        QVERIFY(body.value(QStringLiteral("no_inflight_updates")).toBool());
        auto again = await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QCOMPARE(again->outcome, PaymentResult::Outcome::Succeeded);
        const QString trackPath =
            QStringLiteral("/v2/router/track/") +
            QString::fromLatin1(invoice.paymentHash.toBase64(QByteArray::Base64UrlEncoding));
        QCOMPARE(fixture.lnd().server().requestCount("GET", trackPath), 1);
    }

    void lndSpkiPin()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        LndNode::Config pinned;
        pinned.url = fixture.lnd().url();
        pinned.macaroon = fixture.lnd().macaroon();
        pinned.spkiPin = test::spkiSha256(fixture.lnd().certificate());
        LndNode good(pinned);
        auto info = await<Result<NodeInfo>>([&](auto done) { good.info(done); });
        QVERIFY(info && info->ok());
        pinned.spkiPin = crypto::sha256("another key");
        LndNode bad(pinned);
        auto refused = await<Result<NodeInfo>>([&](auto done) { bad.info(done); });
        QVERIFY(refused && !refused->ok());
        QCOMPARE(refused->error().code, QLatin1String(node_error::kCertificate));
    }

    void lndConnectImport()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        const QByteArray der = fixture.lnd().certificate().toDer();
        const auto b64url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
        const QString uri =
            QStringLiteral("lndconnect://127.0.0.1:%1?cert=%2&macaroon=%3")
                .arg(fixture.lnd().server().port())
                .arg(QString::fromLatin1(der.toBase64(b64url)),
                     QString::fromLatin1(fixture.lnd().macaroon().toBase64(b64url)));
        auto config = LndNode::parseLndConnect(uri);
        QVERIFY(config.ok());
        QCOMPARE(config->macaroon, fixture.lnd().macaroon());
        LndNode node(config.value());
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && info->ok());
        QVERIFY(!LndNode::parseLndConnect(QStringLiteral("lndconnect://host:1?macaroon=%%%")).ok());
        QVERIFY(!LndNode::parseLndConnect(QStringLiteral("https://host:1")).ok());
    }

    // SendPaymentV2 refusing before any HTLC (an expired invoice) is HTTP 500 from
    // grpc-gateway; the track's 404 proves nothing started, so it fails at once with its
    // reason instead of holding the money until reconciliation.
    void lndRefusalBeforePayingFailsAfterTrackSaysNotStarted()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        fixture.lnd().setPayBehaviour(test::FakeLnd::PayBehaviour::Refuse);
        auto result =
            await<PaymentResult>([&](auto done) { node->pay(payRequest(invoice), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
        QCOMPARE(result->failureCode, QStringLiteral("invoice_expired"));
        QCOMPARE(fixture.paymentsMade(invoice.paymentHash), 0);
    }

    // getinfo's chains[0].network as lnd names it; testnet4 is a testnet (tb invoices).
    void lndNamesTestnet4AsATestnet()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        fixture.lnd().setNetworkName(QStringLiteral("testnet4"));
        auto node = fixture.node();
        auto info = await<Result<NodeInfo>>([&](auto done) { node->info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(info->value().network, protocol::Network::Testnet);
    }

    // A lookup of a payment still in flight reads the track stream's first line and closes
    // it: reconciliation runs every few seconds and must not pile up open streams.
    void lndLookupClosesTheTrackStream()
    {
        test::LndFixture fixture;
        QVERIFY(fixture.start());
        auto node = fixture.node();
        const TestInvoice invoice = makeInvoice(m_random);
        fixture.registerPreimage(invoice.preimage);
        fixture.lnd().setPayBehaviour(test::FakeLnd::PayBehaviour::Hang);
        auto first = await<PaymentResult>(
            [&](auto done) { node->pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(first);
        QCOMPARE(first->outcome, PaymentResult::Outcome::InFlight);
        QTRY_COMPARE_WITH_TIMEOUT(fixture.lnd().openTrackStreams(), 0, 5'000);
        for (int i = 0; i < 3; ++i) {
            auto looked = await<Result<PaymentResult>>(
                [&](auto done) { node->lookup(invoice.paymentHash, done); });
            QVERIFY(looked && looked->ok());
            QCOMPARE(looked->value().outcome, PaymentResult::Outcome::InFlight);
        }
        QTRY_COMPARE_WITH_TIMEOUT(fixture.lnd().openTrackStreams(), 0, 5'000);
        QVERIFY(fixture.lnd().server().requestCount(
                    "GET", QStringLiteral("/v2/router/track/") +
                               QString::fromLatin1(invoice.paymentHash.toBase64(
                                   QByteArray::Base64UrlEncoding))) >= 3);
    }

    // NWC specifics beyond the shared contract (NIP-47, nostr-protocol/nips 47.md).

    // The connection URI: wallet key as host, percent-encoded relay(s), secret, lud16; the
    // secret never appears in what is stored as a plain setting.
    void nwcParsesTheUriAndKeepsTheSecretOut()
    {
        test::NwcFixture fixture;
        QVERIFY(fixture.start());
        const QString uri = fixture.wallet().connectionUri();
        auto config = NwcNode::parseUri(uri);
        QVERIFY(config.ok());
        QCOMPARE(config->walletPubkey, fixture.wallet().walletPubkey());
        QCOMPARE(config->secret, fixture.wallet().clientSecret());
        QCOMPARE(config->relays, QList<QUrl>{fixture.wallet().relay().url()});
        QCOMPARE(config->lud16, QStringLiteral("fake@nwc.example"));
        const QString shown = NwcNode::uriWithoutSecret(config.value());
        QVERIFY(!shown.contains(QString::fromLatin1(fixture.wallet().clientSecret().toHex())));
        QVERIFY(!shown.contains(QLatin1String("secret")));
        auto reparsed =
            NwcNode::parseUri(shown + QStringLiteral("&secret=") +
                              QString::fromLatin1(fixture.wallet().clientSecret().toHex()));
        QVERIFY(reparsed.ok());
        QCOMPARE(reparsed->relays, config->relays);
        // What NodeSettings stores: the URI without secret, and the secret apart.
        auto stored = NwcNode::fromStoredSettings(shown, fixture.wallet().clientSecret());
        QVERIFY(stored.ok());
        QCOMPARE(stored->secret, fixture.wallet().clientSecret());
        QCOMPARE(stored->walletPubkey, config->walletPubkey);
        QVERIFY(!NwcNode::fromStoredSettings(shown, QByteArray(32, '\0')).ok());
        // The first drafts' form without "//".
        QString legacy = uri;
        legacy.replace(QStringLiteral("nostr+walletconnect://"),
                       QStringLiteral("nostr+walletconnect:"));
        QVERIFY(NwcNode::parseUri(legacy).ok());
        const QString key = QString::fromLatin1(fixture.wallet().walletPubkey().toHex());
        const QString secret = QString::fromLatin1(fixture.wallet().clientSecret().toHex());
        QVERIFY(!NwcNode::parseUri(QStringLiteral("https://example.com")).ok());
        QVERIFY(!NwcNode::parseUri(
                     QStringLiteral("nostr+walletconnect://%1?secret=%2").arg(key, secret))
                     .ok()); // no relay
        QVERIFY(
            !NwcNode::parseUri(
                 QStringLiteral("nostr+walletconnect://%1?relay=https%3A%2F%2Fx.example&secret=%2")
                     .arg(key, secret))
                 .ok()); // not a WebSocket relay
        QVERIFY(
            !NwcNode::parseUri(
                 QStringLiteral("nostr+walletconnect://%1?relay=wss%3A%2F%2Fx.example&secret=abc")
                     .arg(key))
                 .ok()); // short secret
        QVERIFY(
            !NwcNode::parseUri(
                 QStringLiteral("nostr+walletconnect://abcd?relay=wss%3A%2F%2Fx.example&secret=%1")
                     .arg(secret))
                 .ok()); // short wallet key
    }

    // The info event's `encryption` tag: NIP-44 v2 when offered, NIP-04 otherwise (also when
    // the tag is missing); requests and responses then use that scheme.
    void nwcNegotiatesEncryption()
    {
        using E = test::FakeNwcWallet::Encryption;
        for (const auto& [encryption, nip44] :
             {std::pair{E::Nip44AndNip04, true}, std::pair{E::Nip04Only, false},
              std::pair{E::NoTag, false}}) {
            test::NwcFixture fixture;
            QVERIFY(fixture.start());
            fixture.wallet().setEncryption(encryption);
            NwcNode node(fixture.config());
            auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
            QVERIFY(info && info->ok());
            QCOMPARE(node.usesNip44(), nip44);
            const TestInvoice invoice = makeInvoice(m_random);
            fixture.registerPreimage(invoice.preimage);
            auto paid =
                await<PaymentResult>([&](auto done) { node.pay(payRequest(invoice), done); });
            QVERIFY(paid);
            QCOMPARE(paid->outcome, PaymentResult::Outcome::Succeeded);
            const QString expected = nip44 ? QStringLiteral("nip44_v2") : QStringLiteral("nip04");
            QCOMPARE(fixture.wallet().requestEncryptions(), QStringList({expected, expected}));
            QVERIFY2(fixture.violations().isEmpty(),
                     qPrintable(fixture.violations().join(QLatin1String("; "))));
        }
    }

    // Ephemeral responses: the REQ for the response (kinds 23195, authors, #e, #p) goes out
    // before the 23194 request, which carries `p` and `expiration`.
    void nwcSubscribesBeforePublishing()
    {
        test::NwcFixture fixture;
        QVERIFY(fixture.start());
        NwcNode node(fixture.config());
        auto balance = await<Result<Balance>>([&](auto done) { node.balance(done); });
        QVERIFY(balance && balance->ok());
        const QList<QJsonArray> messages = fixture.wallet().relay().receivedMessages();
        qsizetype requestAt = -1;
        for (qsizetype i = 0; i < messages.size(); ++i) {
            if (messages.at(i).at(0).toString() == QLatin1String("EVENT") &&
                messages.at(i).at(1).toObject().value(QLatin1String("kind")).toInt() == 23194) {
                requestAt = i;
            }
        }
        QVERIFY(requestAt > 0);
        const QJsonObject request = messages.at(requestAt).at(1).toObject();
        const QString id = request.value(QLatin1String("id")).toString();
        bool subscribedFirst = false;
        for (qsizetype i = 0; i < requestAt; ++i) {
            const QJsonArray message = messages.at(i);
            if (message.at(0).toString() != QLatin1String("REQ")) {
                continue;
            }
            const QJsonObject filter = message.at(2).toObject();
            subscribedFirst = subscribedFirst ||
                              (filter.value(QLatin1String("#e")).toArray() == QJsonArray{id} &&
                               filter.value(QLatin1String("kinds")).toArray() == QJsonArray{23195});
        }
        QVERIFY(subscribedFirst);
        qint64 expiration = 0;
        for (const QJsonValue& tag : request.value(QLatin1String("tags")).toArray()) {
            if (tag.toArray().at(0).toString() == QLatin1String("expiration")) {
                expiration = tag.toArray().at(1).toString().toLongLong();
            }
        }
        QVERIFY(expiration > request.value(QLatin1String("created_at")).toInteger());
        QCOMPARE(fixture.wallet().requests().last().value(QLatin1String("method")).toString(),
                 QStringLiteral("get_balance"));
    }

    // A service without get_info (it is optional): reachable, its lud16 as the name, the
    // chain the user configured; the balance still comes from get_balance.
    void nwcWithoutGetInfoUsesTheConfiguredNetwork()
    {
        test::NwcFixture fixture(test::NwcFixture::Service::WithoutInfo);
        QVERIFY(fixture.start());
        NwcNode::Config config = fixture.config();
        config.networkWithoutInfo = protocol::Network::Signet;
        NwcNode node(config);
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(info->value().network, protocol::Network::Signet);
        QVERIFY(!fixture.expectedAlias().isEmpty());
        QCOMPARE(info->value().alias, fixture.expectedAlias());
        auto balance = await<Result<Balance>>([&](auto done) { node.balance(done); });
        QVERIFY(balance && balance->ok());
        auto wrong = fixture.nodeWithWrongCredentials();
        auto refused = await<Result<NodeInfo>>([&](auto done) { wrong->info(done); });
        QVERIFY(refused && !refused->ok());
        QCOMPARE(refused->error().code, QLatin1String(node_error::kUnauthorized));
    }

    // Refusals before any payment: Failed with their own codes, nothing paid.
    void nwcRefusalsFailWithTheirCodes()
    {
        using B = test::FakeNwcWallet::PayBehaviour;
        const QList<std::pair<B, QString>> cases = {
            {B::InsufficientBalance, QStringLiteral("insufficient_balance")},
            {B::QuotaExceeded, QStringLiteral("quota_exceeded")},
            {B::Restricted, QStringLiteral("restricted")},
            {B::RateLimited, QStringLiteral("rate_limited")},
            {B::Unauthorized, QString::fromLatin1(node_error::kUnauthorized)},
        };
        test::NwcFixture fixture;
        QVERIFY(fixture.start());
        NwcNode node(fixture.config());
        for (const auto& [behaviour, code] : cases) {
            fixture.wallet().setPayBehaviour(behaviour);
            const TestInvoice invoice = makeInvoice(m_random);
            fixture.registerPreimage(invoice.preimage);
            auto result =
                await<PaymentResult>([&](auto done) { node.pay(payRequest(invoice), done); });
            QVERIFY(result);
            QCOMPARE(result->outcome, PaymentResult::Outcome::Failed);
            QCOMPARE(result->failureCode, code);
            QCOMPARE(fixture.paymentsMade(invoice.paymentHash), 0);
        }
    }

    // Only the wallet's own, correctly signed answer to this request counts: a forged
    // "success" from another key, or one with the wallet's key and a bad signature, is ignored
    // even when its content decrypts.
    void nwcIgnoresForgedResponses()
    {
        test::NwcFixture fixture;
        QVERIFY(fixture.start());
        fixture.wallet().setAnswering(false);
        const TestInvoice invoice = makeInvoice(m_random);
        const QByteArray forger = crypto::sha256("forger key");
        const QByteArray client = crypto::xOnlyPublicKey(fixture.wallet().clientSecret()).value();
        test::FakeWebSocketRelay& relay = fixture.wallet().relay();
        QObject context;
        QObject::connect(
            &relay, &test::FakeWebSocketRelay::eventReceived, &context,
            [&](const QJsonObject& request) {
                if (request.value(QLatin1String("kind")).toInt() != 23194) {
                    return;
                }
                const QByteArray body =
                    QJsonDocument(
                        QJsonObject{{QStringLiteral("result_type"), QStringLiteral("pay_invoice")},
                                    {QStringLiteral("result"),
                                     QJsonObject{{QStringLiteral("preimage"),
                                                  QString::fromLatin1(invoice.preimage.toHex())}}}})
                        .toJson(QJsonDocument::Compact);
                protocol::NostrEvent forged;
                forged.createdAt = QDateTime::currentSecsSinceEpoch();
                forged.kind = 23195;
                forged.tags = {
                    {QStringLiteral("p"), QString::fromLatin1(client.toHex())},
                    {QStringLiteral("e"), request.value(QLatin1String("id")).toString()}};
                // Content a relay cannot read but which decrypts for the client: only the
                // author and signature checks can reject these.
                auto key = crypto::nip44::conversationKey(fixture.wallet().clientSecret(),
                                                          fixture.wallet().walletPubkey());
                forged.content = crypto::nip44::encrypt(body, key->view()).value();
                QJsonObject signedByForger = forged.signedWith(forger).value().toJson();
                relay.publish(signedByForger);
                // The wallet's key with the forger's signature.
                signedByForger.insert(QStringLiteral("pubkey"),
                                      QString::fromLatin1(fixture.wallet().walletPubkey().toHex()));
                signedByForger.insert(QStringLiteral("id"),
                                      test::FakeWebSocketRelay::computeEventId(signedByForger));
                relay.publish(signedByForger);
            });
        NwcNode node(fixture.config());
        auto result = await<PaymentResult>(
            [&](auto done) { node.pay(payRequest(invoice, std::chrono::seconds(1)), done); });
        QVERIFY(result);
        QCOMPARE(result->outcome, PaymentResult::Outcome::InFlight);
    }

    // A dropped relay connection is reopened with backoff, also with no call waiting; calls
    // made during an outage wait for the reconnection; the attempts are bounded, after which
    // waiting calls fail as unreachable and the node stops trying until the next call.
    void nwcReconnectsWithBoundedBackoff()
    {
        test::NwcFixture fixture;
        QVERIFY(fixture.start());
        test::FakeWebSocketRelay& relay = fixture.wallet().relay();
        NwcNode node(fixture.config());
        auto info = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(info && info->ok());
        QCOMPARE(relay.connectionsAccepted(), 1);

        relay.dropAllConnections();
        QTRY_COMPARE_WITH_TIMEOUT(relay.connectionsAccepted(), 2, 5'000);
        QTRY_VERIFY_WITH_TIMEOUT(node.isConnected(), 5'000);

        // An outage shorter than the backoff budget: the waiting call succeeds.
        QVERIFY(relay.setRefuseConnections(true));
        relay.dropAllConnections();
        std::optional<Result<Balance>> balance;
        node.balance([&](Result<Balance> value) { balance.emplace(std::move(value)); });
        QTest::qWait(250);
        QVERIFY(!balance);
        QVERIFY(relay.setRefuseConnections(false));
        QTRY_VERIFY_WITH_TIMEOUT(balance.has_value(), 5'000);
        QVERIFY(balance->ok());

        // A long outage: at most maxReconnectAttempts tries, then the waiting call fails.
        QVERIFY(relay.setRefuseConnections(true));
        relay.dropAllConnections();
        const int before = node.connectAttempts();
        std::optional<Result<NodeInfo>> waiting;
        node.info([&](Result<NodeInfo> value) { waiting.emplace(std::move(value)); });
        QTRY_VERIFY_WITH_TIMEOUT(waiting.has_value(), 5'000);
        QVERIFY(!waiting->ok());
        QCOMPARE(waiting->error().code, QLatin1String(node_error::kUnreachable));
        const int attempts = node.connectAttempts() - before;
        QCOMPARE(attempts, fixture.config().maxReconnectAttempts);
        QTest::qWait(1'000);
        QCOMPARE(node.connectAttempts() - before, attempts); // stopped trying
        QVERIFY(relay.setRefuseConnections(false));
        auto again = await<Result<NodeInfo>>([&](auto done) { node.info(done); });
        QVERIFY(again && again->ok());
    }
};

QTEST_GUILESS_MAIN(NodeConformanceTest)
#include "NodeConformanceTest.moc"
