// The payment engine end to end on loopback: an Aperture-like paid API, LND's double over
// HTTPS, the real LND backend, the encrypted store. Each DESIGN §3 invariant is named by the
// test that proves it (invariantN_...).

#include "core/crypto/Digest.h"
#include "core/protocol/Macaroon.h"
#include "core/store/PaymentLedger.h"
#include "core/util/Logging.h"
#include "tests/support/EngineHarness.h"
#include "tests/support/FakeHttpServer.h"

#include <QDirIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace l402;
using namespace l402::test;
using payments::FetchResponse;

namespace {

int64_t scalar(store::WalletStore& store, const char* sql)
{
    auto statement = store.database().prepare(sql);
    if (!statement || !statement->step()) {
        return -1;
    }
    return statement->integer(0);
}

// A 402 answer as a misbehaving or unusual server would send it.
QByteArray l402Header(const protocol::Macaroon& macaroon, const QString& invoice,
                      QByteArrayView scheme = "L402")
{
    QByteArray value = scheme.toByteArray();
    value += " macaroon=\"" + macaroon.toBase64() + "\", invoice=\"" + invoice.toLatin1() + "\"";
    return value;
}

protocol::Macaroon macaroonFor(const QByteArray& paymentHash, const QString& service)
{
    protocol::L402Identifier identifier;
    identifier.paymentHash = paymentHash;
    identifier.tokenId = crypto::randomBytes(32);
    return protocol::Macaroon::mint(crypto::randomBytes(32), identifier.encode(),
                                    QStringLiteral("test"))
        .withFirstPartyCaveat(QStringLiteral("services=%1:0").arg(service).toUtf8());
}

// The engine keeps budget usage in memory, adjusted as payments move; it must always equal
// what a fresh scan of the ledger says, and the engine must not have needed that scan.
void expectUsageMatchesLedger(EngineHarness& h)
{
    policy::BudgetRule everything;
    everything.pattern = QStringLiteral("*");
    const auto windows =
        policy::windowsAt(SystemClock::instance().now(), QTimeZone::systemTimeZone());
    QVERIFY(h.engine().budgets().usageCacheCurrent());
    auto incremental = h.engine().budgets().usageOf(everything, windows);
    policy::BudgetBook fresh(h.store().database(), SystemClock::instance(),
                             QTimeZone::systemTimeZone());
    auto scanned = fresh.usageOf(everything, windows);
    QVERIFY(incremental.ok() && scanned.ok());
    QCOMPARE(incremental->dayMsat, scanned->dayMsat);
    QCOMPARE(incremental->weekMsat, scanned->weekMsat);
    QCOMPARE(incremental->monthMsat, scanned->monthMsat);
}

} // namespace

class PaymentEngineTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void concurrentAgentsNeverExceedACapTheyShare();
    void anomalyAlertPausesAnAgentThatSpendsFarAboveItsPattern();
    void priceSpikeIsAskedOrRefused();
    void drainGuardPausesAServerThatRefusesWhatItSold();
    void paysThenReusesTheToken();
    void anAgentMayLowerTheFeeCapNeverRaiseIt();
    void invariant1_paysOnlyInvoicesThatVerify_data();
    void invariant1_paysOnlyInvoicesThatVerify();
    void invariant2_pendingPaymentsAndFeeReserveCountAgainstTheBudget();
    void invariant2_reservationIsAtomicWithTheCheck();
    void invariant3_attemptIsDurableBeforeTheNodeIsCalled();
    void invariant3_neverPaysAHashTwice();
    void invariant3_uncertainOutcomeIsReconciledAtStartup();
    void invariant4_twoHundredConcurrentRequestsPayOnce();
    void invariant5_approvalTimeoutDenies();
    void invariant5_nobodyToAskDenies();
    void invariant5_unreachableNodeMeansNoPayment();
    void invariant6_secretsStayOutOfLogsAndFiles();
    void refusalCodesFromRealFlows();
    void approvalApprovePays();
    void approvalDenyRefuses();
    void rememberDurations();
    void rememberSessionIsForgottenOnRestart();
    void tokenExpiryAndRejection();
    void tokensArePerService();
    void mppChargeIsPaidAndNeverCached();
    void failedPaymentReleasesTheReservation();
    void pauseSurvivesARestartAndResumeEndsIt();
    void pausedAgentIsRefusedOthersPay();
    void pauseWhileAskingStopsTheApprovedPayment();
};

void PaymentEngineTest::paysThenReusesTheToken()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();

    auto first = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY2(first.ok(), qPrintable(first ? QString() : first.error().message));
    QCOMPARE(first->status, 200);
    QVERIFY(first->body.contains("Alan Kay"));
    QVERIFY(first->payment.has_value());
    QCOMPARE(first->payment->amountMsat, 21'000);
    QCOMPARE(first->payment->feeMsat, 1'234);
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    QCOMPARE(h.paymentCount(QStringLiteral("succeeded")), 1);

    // The token is kept, with its expiry from the <service>_valid_until caveat.
    auto tokens = h.engine().tokens().list();
    QVERIFY(tokens.ok());
    QCOMPARE(tokens->size(), 1);
    QCOMPARE(tokens->first().origin, h.api().url(QString()).adjusted(QUrl::RemovePath).toString());
    QVERIFY(tokens->first().expiresAt.has_value());
    QCOMPARE(tokens->first().services, QStringList{QStringLiteral("quotes")});

    // Later requests send it proactively: no 402, no payment.
    const int challenges = h.api().challengesIssued();
    auto second = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY(second.ok());
    QCOMPARE(second->status, 200);
    QVERIFY(second->usedToken);
    QVERIFY(!second->payment.has_value());
    QCOMPARE(h.api().challengesIssued(), challenges);
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    // fetch hands the token to the agent's own process: bob never gets alice's secret, he
    // buys his own (through the proxy, which keeps tokens to itself, they are shared).
    auto bobs = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("bob"));
    QVERIFY(bobs.ok());
    QCOMPARE(bobs->status, 200);
    QVERIFY(bobs->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 2);
    auto tokensNow = h.engine().tokens().list();
    QVERIFY(tokensNow.ok());
    QCOMPARE(tokensNow->size(), 2);
    expectUsageMatchesLedger(h);
}

// fetch --max-fee and the control socket's max_fee_msat come from the agent: they may lower
// the routing-fee cap of its payment, never raise it above the wallet's (a prompt-injected
// agent asking for a 10,000,000 sat fee limit gets the wallet's own cap).
void PaymentEngineTest::anAgentMayLowerTheFeeCapNeverRaiseIt()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    auto feeLimits = [&h] {
        QList<int64_t> limits;
        auto statement =
            h.store().database().prepare("SELECT fee_limit_msat FROM payments ORDER BY rowid");
        while (statement) {
            const auto row = statement->step();
            if (!row || !row.value()) {
                break;
            }
            limits.append(statement->integer(0));
        }
        return limits;
    };
    QVERIFY(h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice")).ok());
    QCOMPARE(feeLimits().size(), 1);
    const int64_t walletCap = feeLimits().at(0);
    QVERIFY(walletCap > 2'000);

    auto raised = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("bob"),
                          [](payments::FetchRequest& r) { r.maxFeeMsat = 10'000'000'000; });
    QVERIFY2(raised.ok(), qPrintable(raised ? QString() : raised.error().message));
    QVERIFY(raised->payment.has_value());
    auto lowered = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("carol"),
                           [](payments::FetchRequest& r) { r.maxFeeMsat = 2'000; });
    QVERIFY2(lowered.ok(), qPrintable(lowered ? QString() : lowered.error().message));
    QVERIFY(lowered->payment.has_value());
    QCOMPARE(feeLimits(), (QList<int64_t>{walletCap, walletCap, 2'000}));
    QCOMPARE(h.lnd().totalSendCalls(), 3);
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::invariant1_paysOnlyInvoicesThatVerify_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("code");
    QTest::newRow("hash differs from the macaroon's") << "mismatch"
                                                      << "invoice_mismatch";
    QTest::newRow("expired") << "expired"
                             << "invoice_expired";
    QTest::newRow("mainnet invoice, regtest node") << "network"
                                                   << "wrong_network";
    QTest::newRow("no amount") << "amountless"
                               << "amountless_invoice";
    QTest::newRow("garbage header") << "garbage"
                                    << "invalid_challenge";
    QTest::newRow("macaroon without an L402 identifier") << "identifier"
                                                         << "invalid_challenge";
}

void PaymentEngineTest::invariant1_paysOnlyInvoicesThatVerify()
{
    QFETCH(QString, kind);
    QFETCH(QString, code);
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();

    FakeHttpServer bad;
    QVERIFY(bad.listen());
    bad.route("GET", QStringLiteral("/paid"), [&](const FakeRequest&, FakeResponder& responder) {
        QByteArray header;
        const int64_t now = QDateTime::currentSecsSinceEpoch();
        if (kind == QLatin1String("mismatch")) {
            auto invoice = issueTestInvoice(h.lnd(), 21'000, QStringLiteral("x")).value();
            header = l402Header(macaroonFor(crypto::randomBytes(32), QStringLiteral("s")),
                                invoice.invoice);
        } else if (kind == QLatin1String("expired")) {
            auto invoice =
                issueTestInvoice(h.lnd(), 21'000, QStringLiteral("x"), now - 7200, 600).value();
            header =
                l402Header(macaroonFor(invoice.paymentHash, QStringLiteral("s")), invoice.invoice);
        } else if (kind == QLatin1String("network")) {
            auto invoice = issueTestInvoice(h.lnd(), 21'000, QStringLiteral("x"), 0, 600,
                                            protocol::Network::Bitcoin)
                               .value();
            header =
                l402Header(macaroonFor(invoice.paymentHash, QStringLiteral("s")), invoice.invoice);
        } else if (kind == QLatin1String("amountless")) {
            auto invoice = issueTestInvoice(h.lnd(), 0, QStringLiteral("x")).value();
            header =
                l402Header(macaroonFor(invoice.paymentHash, QStringLiteral("s")), invoice.invoice);
        } else if (kind == QLatin1String("identifier")) {
            auto invoice = issueTestInvoice(h.lnd(), 21'000, QStringLiteral("x")).value();
            header =
                l402Header(protocol::Macaroon::mint("k", "not an l402 id", QStringLiteral("x")),
                           invoice.invoice);
        } else {
            header = "L402 macaroon=\"%%%\", invoice";
        }
        responder.reply(402, {{"WWW-Authenticate", header}}, "payment required\n");
    });

    payments::FetchRequest request;
    request.url = bad.url(QStringLiteral("/paid"));
    auto result = h.fetch(request);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, code);
    QVERIFY(!result.error().message.isEmpty());
    // Nothing reached the node and nothing was written as a payment; the refusal is in history.
    QCOMPARE(h.lnd().totalSendCalls(), 0);
    QCOMPARE(h.paymentCount(), 0);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM events WHERE kind = 'refused'"), 1);
}

void PaymentEngineTest::invariant2_pendingPaymentsAndFeeReserveCountAgainstTheBudget()
{
    payments::EngineSettings quick;
    quick.paymentTimeout = std::chrono::seconds(1);
    EngineHarness h(SystemClock::instance(), QTimeZone::systemTimeZone(), quick);
    QVERIFY(h.start());
    policy::BudgetRule rule;
    rule.pattern = QStringLiteral("*");
    rule.mode = policy::Mode::Auto;
    rule.dailyMsat = 40'000; // 40 sat
    QVERIFY(h.engine().budgets().saveRule(rule).ok());

    // The quote (21 sat + 10 sat fee reserve = 31) hangs at the node: still pending.
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Hang);
    auto pending = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!pending.ok());
    QCOMPARE(pending.error().code, QStringLiteral("payment_pending"));

    // The joke (5 sat + 10 reserve = 15) would make 46 > 40 while the quote is pending.
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Succeed);
    auto refused = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, QStringLiteral("budget_exceeded"));
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    // The quote fails at the node: its reservation is released and the joke fits.
    const QByteArray hash = h.lnd().payments().keys().first();
    h.lnd().settle(hash, false);
    h.engine().reconcileNow();
    QVERIFY(QTest::qWaitFor([&] { return h.paymentCount(QStringLiteral("failed")) == 1; }, 10'000));
    auto joke = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY2(joke.ok(), qPrintable(joke ? QString() : joke.error().message));
    QCOMPARE(joke->status, 200);
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::invariant2_reservationIsAtomicWithTheCheck()
{
    EngineHarness h;
    QVERIFY(h.start());
    policy::BudgetRule rule;
    rule.pattern = QStringLiteral("api.example.com");
    rule.mode = policy::Mode::Auto;
    rule.dailyMsat = 100'000;
    QVERIFY(h.engine().budgets().saveRule(rule).ok());
    const auto origin = policy::Origin::parse(QStringLiteral("https://api.example.com")).value();

    // Two reservations of 60 sat each: the second sees the first and is refused.
    auto first = h.engine().budgets().reserve(origin, {}, 50'000, 10'000);
    QVERIFY(first.ok());
    auto second = h.engine().budgets().reserve(origin, {}, 50'000, 10'000);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, QStringLiteral("budget_exceeded"));
    // A reservation whose payment was never written (the process died in between) is
    // released at the next start, and the money is free again.
    QCOMPARE(h.engine().budgets().releaseOrphans().value(), 1);
    QVERIFY(h.engine().budgets().reserve(origin, {}, 50'000, 10'000).ok());
}

void PaymentEngineTest::invariant3_attemptIsDurableBeforeTheNodeIsCalled()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    QString statusWhenNodeCalled;
    QObject::connect(&h.lnd().server(), &http::HttpServer::requestReceived, &h.lnd(),
                     [&](const http::HttpRequest& request) {
                         if (request.path == QLatin1String("/v2/router/send")) {
                             auto statement = h.store().database().prepare(
                                 "SELECT status FROM payments ORDER BY id DESC LIMIT 1");
                             if (statement && statement->step().value()) {
                                 statusWhenNodeCalled = statement->text(0);
                             }
                         }
                     });
    auto result = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(result.ok());
    QCOMPARE(statusWhenNodeCalled, QStringLiteral("in_flight"));
}

void PaymentEngineTest::invariant3_neverPaysAHashTwice()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    // A broken server that answers every request with the same challenge, even once paid.
    auto invoice = issueTestInvoice(h.lnd(), 21'000, QStringLiteral("same")).value();
    const QByteArray header =
        l402Header(macaroonFor(invoice.paymentHash, QStringLiteral("s")), invoice.invoice);
    FakeHttpServer stubborn;
    QVERIFY(stubborn.listen());
    stubborn.route("GET", QStringLiteral("/paid"), [&](const FakeRequest&, FakeResponder& r) {
        r.reply(402, {{"WWW-Authenticate", header}}, "payment required\n");
    });
    payments::FetchRequest request;
    request.url = stubborn.url(QStringLiteral("/paid"));

    auto first = h.fetch(request);
    QVERIFY(!first.ok());
    // Paid, and answered 402 again: the drain guard pauses the site. Resumed, the same
    // challenge is still never paid twice.
    QCOMPARE(first.error().code, QStringLiteral("origin_paused"));
    QVERIFY(h.engine()
                .drainGuard()
                .resume(stubborn.url(QString()).adjusted(QUrl::RemovePath).toString())
                .value());
    auto second = h.fetch(request);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, QStringLiteral("payment_pending")); // "already paid"
    QCOMPARE(h.lnd().sendCalls(invoice.paymentHash), 1);
    QCOMPARE(h.paymentCount(), 1);
    // The refused second attempt holds no money in the budget.
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM reservations WHERE released_at IS NULL"), 0);
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::invariant3_uncertainOutcomeIsReconciledAtStartup()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    // The connection drops mid-payment; the node settles the payment a moment later.
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::DropThenSucceed);
    auto dropped = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!dropped.ok());
    QCOMPARE(dropped.error().code, QStringLiteral("payment_pending"));
    QCOMPARE(h.paymentCount(QStringLiteral("in_flight")), 1);

    // The wallet stops before it learns the outcome; the node finishes meanwhile.
    h.stopWallet();
    QVERIFY(QTest::qWaitFor(
        [&] {
            const auto payments = h.lnd().payments();
            return !payments.isEmpty() &&
                   payments.begin().value().status == QLatin1String("SUCCEEDED");
        },
        10'000));

    // At start-up the lookup resolves it before the engine takes new payments, and the token
    // bought by the interrupted payment is kept.
    QVERIFY(h.openStore());
    QVERIFY(h.startEngine());
    QCOMPARE(h.paymentCount(QStringLiteral("succeeded")), 1);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM tokens WHERE status = 'active'"), 1);
    auto after = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(after.ok());
    QCOMPARE(after->status, 200);
    QVERIFY(after->usedToken);
    QCOMPARE(h.lnd().totalSendCalls(), 1);
}

void PaymentEngineTest::invariant4_twoHundredConcurrentRequestsPayOnce()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    constexpr int kRequests = 200;
    int ok = 0;
    int answered = 0;
    int paidHere = 0;
    for (int i = 0; i < kRequests; ++i) {
        payments::FetchRequest request;
        request.url = h.api().url(QStringLiteral("/v1/quote"));
        // One agent's 200 requests (fetch and MCP keep each agent's tokens its own; the
        // proxy's shared case is ProxyLoadTest's).
        request.agent = QStringLiteral("agent");
        h.fetcher().fetch(request, [&](Result<FetchResponse> result) {
            ++answered;
            if (result && result->status == 200) {
                ++ok;
                paidHere += result->payment ? 1 : 0;
            }
        });
    }
    QVERIFY(QTest::qWaitFor([&] { return answered == kRequests; }, 60'000));
    QCOMPARE(ok, kRequests);
    QCOMPARE(paidHere, 1);
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    QCOMPARE(h.paymentCount(), 1);
    // Seven agents at once: one payment each, however many requests each sends.
    answered = 0;
    ok = 0;
    paidHere = 0;
    for (int i = 0; i < 70; ++i) {
        payments::FetchRequest request;
        request.url = h.api().url(QStringLiteral("/v1/joke"));
        request.agent = QStringLiteral("agent-%1").arg(i % 7);
        h.fetcher().fetch(request, [&](Result<FetchResponse> result) {
            ++answered;
            if (result && result->status == 200) {
                ++ok;
                paidHere += result->payment ? 1 : 0;
            }
        });
    }
    QVERIFY(QTest::qWaitFor([&] { return answered == 70; }, 60'000));
    QCOMPARE(ok, 70);
    QCOMPARE(paidHere, 7);
    QCOMPARE(h.paymentCount(), 8);
    QCOMPARE(h.engine().flightsInProgress(), 0);
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::invariant5_approvalTimeoutDenies()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    h.broker().setTimeout(std::chrono::milliseconds(300));
    QSignalSpy asked(&h.broker(), &policy::ApprovalBroker::requested);
    // No rule: the built-in default asks.
    auto result = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, QStringLiteral("approval_timeout"));
    QCOMPARE(asked.size(), 1);
    QCOMPARE(h.lnd().totalSendCalls(), 0);
    QCOMPARE(h.paymentCount(), 0);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM events WHERE kind = 'timed_out'"), 1);
}

void PaymentEngineTest::invariant5_nobodyToAskDenies()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(false);
    auto result = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, QStringLiteral("denied_by_user"));
    QVERIFY(result.error().message.contains(QStringLiteral("nobody")));
    QCOMPARE(h.lnd().totalSendCalls(), 0);
}

void PaymentEngineTest::invariant5_unreachableNodeMeansNoPayment()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    h.lnd().server().close();
    auto result = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, QStringLiteral("node_unavailable"));
    QCOMPARE(h.paymentCount(QStringLiteral("succeeded")), 0);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM reservations WHERE released_at IS NULL"), 0);
}

namespace {
QStringList g_logged;
void captureMessages(QtMsgType, const QMessageLogContext&, const QString& message)
{
    g_logged.append(message);
}
} // namespace

void PaymentEngineTest::invariant6_secretsStayOutOfLogsAndFiles()
{
    log::setMinimumLevel(log::Level::Debug);
    g_logged.clear();
    const auto previous = qInstallMessageHandler(captureMessages);
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::DropThenSucceed); // exercises the log paths
    auto first = h.fetch(QStringLiteral("/v1/quote"));
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Succeed);
    auto second = h.fetch(QStringLiteral("/v1/joke"));
    qInstallMessageHandler(previous);
    QVERIFY(second.ok());
    h.engine().reconcileNow();
    QVERIFY(
        QTest::qWaitFor([&] { return h.paymentCount(QStringLiteral("succeeded")) == 2; }, 10'000));

    auto tokens = h.engine().tokens().list();
    QVERIFY(tokens.ok());
    QCOMPARE(tokens->size(), 2);
    const QString logText = g_logged.join(u'\n');
    for (const payments::Token& token : tokens.value()) {
        for (const QByteArray& secret :
             {token.preimage.toHex(), token.macaroon.toBase64(), token.authorizationValue()}) {
            QVERIFY2(!logText.contains(QString::fromLatin1(secret)), "a secret reached the log");
        }
        // No file of the wallet holds a preimage or macaroon in the clear.
        QDirIterator files(h.dir(), QDir::Files, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            QFile file(files.next());
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            QVERIFY2(!bytes.contains(token.preimage) && !bytes.contains(token.preimage.toHex()) &&
                         !bytes.contains(token.macaroon),
                     qPrintable(file.fileName()));
        }
    }
}

void PaymentEngineTest::refusalCodesFromRealFlows()
{
    payments::EngineSettings quick;
    quick.paymentTimeout = std::chrono::seconds(1);
    EngineHarness h(SystemClock::instance(), QTimeZone::systemTimeZone(), quick);
    QVERIFY(h.start());
    auto& budgets = h.engine().budgets();
    const QString host = QStringLiteral("127.0.0.1");

    policy::BudgetRule block;
    block.pattern = host;
    block.mode = policy::Mode::Block;
    QVERIFY(budgets.saveRule(block).ok());
    auto blocked = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!blocked.ok());
    QCOMPARE(blocked.error().code, QStringLiteral("site_blocked"));

    policy::BudgetRule capped;
    capped.pattern = host;
    capped.mode = policy::Mode::Auto;
    capped.maxPaymentMsat = 10'000;
    QVERIFY(budgets.saveRule(capped).ok()); // replaces the block rule
    auto over = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!over.ok());
    QCOMPARE(over.error().code, QStringLiteral("over_max_payment"));

    capped.maxPaymentMsat.reset();
    capped.dailyMsat = 20'000;
    QVERIFY(budgets.saveRule(capped).ok());
    auto exceeded = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!exceeded.ok());
    QCOMPARE(exceeded.error().code, QStringLiteral("budget_exceeded"));

    capped.dailyMsat.reset();
    QVERIFY(budgets.saveRule(capped).ok());
    auto maxCost = h.fetch(QStringLiteral("/v1/quote"), {},
                           [](payments::FetchRequest& request) { request.maxCostMsat = 20'000; });
    QVERIFY(!maxCost.ok());
    QCOMPARE(maxCost.error().code, QStringLiteral("over_max_cost"));

    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Fail);
    auto failed = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().code, QStringLiteral("payment_failed"));

    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Hang);
    auto pending = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY(!pending.ok());
    QCOMPARE(pending.error().code, QStringLiteral("payment_pending"));

    // --no-pay reports the price and pays nothing.
    auto price = h.fetch(QStringLiteral("/v1/weather"), {},
                         [](payments::FetchRequest& request) { request.noPay = true; });
    QVERIFY(price.ok());
    QCOMPARE(price->status, 402);
    QCOMPARE(price->priceMsat.value_or(0), 100'000);

    // Each refusal is in the history with its code.
    for (const char* code :
         {"site_blocked", "over_max_payment", "budget_exceeded", "over_max_cost"}) {
        auto statement = h.store().database().prepare(
            "SELECT count(*) FROM events WHERE kind = 'refused' AND code = ?1");
        QVERIFY(statement.ok());
        statement->bind(1, QString::fromLatin1(code));
        QVERIFY(statement->step().value());
        QCOMPARE(statement->integer(0), 1);
    }
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::approvalApprovePays()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    policy::ApprovalRequest seen;
    QObject::connect(&h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
                     [&](const policy::ApprovalRequest& request) {
                         seen = request;
                         QVERIFY(h.broker().answer(request.id, true));
                     });
    auto result = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY(result.ok());
    QCOMPARE(result->status, 200);
    QCOMPARE(seen.agent, QStringLiteral("alice"));
    QCOMPARE(seen.amountMsat, 21'000);
    QCOMPARE(seen.description, QStringLiteral("quotes (21 sat)"));
    QVERIFY(seen.expiresAt > seen.createdAt);
    QVERIFY(!seen.budgetImpact.isEmpty());
    QCOMPARE(h.lnd().totalSendCalls(), 1);
}

void PaymentEngineTest::approvalDenyRefuses()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    QObject::connect(&h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
                     [&](const policy::ApprovalRequest& request) {
                         QVERIFY(h.broker().answer(request.id, false));
                     });
    auto result = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, QStringLiteral("denied_by_user"));
    QCOMPARE(h.lnd().totalSendCalls(), 0);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM events WHERE kind = 'denied'"), 1);
}

void PaymentEngineTest::rememberDurations()
{
    ManualClock clock(QDateTime::currentDateTimeUtc());
    EngineHarness h(clock);
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    std::optional<policy::Remember> answerWith;
    bool approve = true;
    int asked = 0;
    QObject::connect(&h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
                     [&](const policy::ApprovalRequest& request) {
                         ++asked;
                         if (answerWith) {
                             QVERIFY(h.broker().answer(request.id, approve, *answerWith));
                         }
                     });
    auto freshToken = [&] {
        // Each round needs a new payment: forget the bought tokens.
        QVERIFY(h.engine()
                    .tokens()
                    .removeOrigin(policy::Origin::fromUrl(h.api().url(QString()))->toString())
                    .ok());
    };
    auto payRound = [&](const QString& path) {
        freshToken();
        auto result = h.fetch(path);
        return result.ok() ? QStringLiteral("paid") : result.error().code;
    };

    // once: asked again next time.
    answerWith = policy::Remember::Once;
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("paid"));
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("paid"));
    QCOMPARE(asked, 2);

    // 1h: not asked within the hour (up to the approved amount), asked after it.
    answerWith = policy::Remember::OneHour;
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("paid"));
    QCOMPARE(asked, 3);
    answerWith.reset(); // nobody answers from now on: an ask would time out
    h.broker().setTimeout(std::chrono::milliseconds(200));
    clock.advance(1800);
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("paid"));
    QCOMPARE(asked, 3);
    // A bigger amount than the one approved is asked again.
    QCOMPARE(payRound(QStringLiteral("/v1/quote")), QStringLiteral("approval_timeout"));
    QCOMPARE(asked, 4);
    clock.advance(1801);
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("approval_timeout"));
    QCOMPARE(asked, 5);

    // session: not asked again while the engine lives.
    h.broker().setTimeout(std::chrono::milliseconds(60'000));
    answerWith = policy::Remember::Session;
    QCOMPARE(payRound(QStringLiteral("/v1/quote")), QStringLiteral("paid"));
    answerWith.reset();
    h.broker().setTimeout(std::chrono::milliseconds(200));
    QCOMPARE(payRound(QStringLiteral("/v1/quote")), QStringLiteral("paid"));
    QCOMPARE(asked, 6);

    // always: becomes a budget rule for the site and agent.
    h.broker().setTimeout(std::chrono::milliseconds(60'000));
    answerWith = policy::Remember::Always;
    QCOMPARE(payRound(QStringLiteral("/v1/weather")), QStringLiteral("paid"));
    auto rules = h.engine().budgets().rules();
    QVERIFY(rules.ok());
    QCOMPARE(rules->size(), 1);
    QCOMPARE(rules->first().pattern, QStringLiteral("127.0.0.1:%1").arg(h.api().http().port()));
    QCOMPARE(rules->first().mode, policy::Mode::Ask);
    QCOMPARE(rules->first().askAboveMsat.value_or(0), 100'000);
    answerWith.reset();
    h.broker().setTimeout(std::chrono::milliseconds(200));
    QCOMPARE(payRound(QStringLiteral("/v1/weather")), QStringLiteral("paid"));
    QCOMPARE(asked, 7);
    // Above the remembered amount the rule still asks.
    QCOMPARE(payRound(QStringLiteral("/v1/dataset.csv")), QStringLiteral("approval_timeout"));

    // deny + always blocks the site.
    answerWith = policy::Remember::Always;
    approve = false;
    h.broker().setTimeout(std::chrono::milliseconds(60'000));
    QCOMPARE(payRound(QStringLiteral("/v1/dataset.csv")), QStringLiteral("denied_by_user"));
    QCOMPARE(payRound(QStringLiteral("/v1/joke")), QStringLiteral("site_blocked"));
}

void PaymentEngineTest::rememberSessionIsForgottenOnRestart()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    int asked = 0;
    bool answer = true;
    auto connectBroker = [&] {
        h.broker().setAnswerable(true);
        h.broker().setTimeout(std::chrono::milliseconds(200));
        QObject::connect(
            &h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
            [&](const policy::ApprovalRequest& request) {
                ++asked;
                if (answer) {
                    QVERIFY(h.broker().answer(request.id, true, policy::Remember::Session));
                }
            });
    };
    connectBroker();
    QVERIFY(h.fetch(QStringLiteral("/v1/joke")).ok());
    QCOMPARE(asked, 1);
    QVERIFY(h.fetch(QStringLiteral("/v1/quote")).ok()); // same site, within the amount? no:
    // 21 sat > 5 sat approved, so it was asked again
    QCOMPARE(asked, 2);

    h.stopWallet();
    QVERIFY(h.openStore());
    QVERIFY(h.startEngine());
    connectBroker();
    answer = false;
    QVERIFY(h.engine()
                .tokens()
                .removeOrigin(policy::Origin::fromUrl(h.api().url(QString()))->toString())
                .ok());
    auto after = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY(!after.ok());
    QCOMPARE(after.error().code, QStringLiteral("approval_timeout"));
    QCOMPARE(asked, 3);
}

void PaymentEngineTest::tokenExpiryAndRejection()
{
    ManualClock clock(QDateTime::currentDateTimeUtc());
    EngineHarness h(clock);
    QVERIFY(h.start());
    h.allowEverything();
    QVERIFY(h.fetch(QStringLiteral("/v1/quote")).ok()); // valid for 3600 s
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    clock.advance(3000);
    auto reused = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(reused.ok() && reused->usedToken && !reused->payment);
    // Past valid_until the token is not sent; a new one is bought.
    clock.advance(700);
    auto renewed = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(renewed.ok());
    QVERIFY(renewed->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 2);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM tokens WHERE status = 'expired'"), 1);

    // A server that stops honouring a token: 402 despite it -> rejected, bought anew.
    // Revoke server-side by restarting the API (it forgets its root keys), same port; ten
    // minutes on, so the token is past the drain guard's 5 minutes of freshness.
    clock.advance(600);
    const quint16 port = h.api().http().port();
    h.api().http().close();
    demo::PaidApiServer restarted(
        [&](int64_t amountMsat, const QString& description) {
            return issueTestInvoice(h.lnd(), amountMsat, description, clock.nowSeconds());
        },
        clock);
    restarted.addDemoEndpoints();
    QVERIFY(restarted.listen(port));
    auto again = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(again.ok());
    QVERIFY(again->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 3);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM tokens WHERE status = 'rejected'"), 1);
}

void PaymentEngineTest::tokensArePerService()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    QVERIFY(h.fetch(QStringLiteral("/v1/quote")).ok());
    QVERIFY(h.fetch(QStringLiteral("/v1/joke")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 2);
    // The quote token was not taken for rejected when the joke service refused it.
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM tokens WHERE status = 'active'"), 2);
    // Each path gets its own token without new 402s or payments.
    const int challenges = h.api().challengesIssued();
    for (const char* path : {"/v1/quote", "/v1/joke", "/v1/quote"}) {
        auto result = h.fetch(QString::fromLatin1(path));
        QVERIFY(result.ok());
        QCOMPARE(result->status, 200);
        QVERIFY(!result->payment);
    }
    QCOMPARE(h.api().challengesIssued(), challenges);
    QCOMPARE(h.lnd().totalSendCalls(), 2);
    expectUsageMatchesLedger(h);
}

void PaymentEngineTest::mppChargeIsPaidAndNeverCached()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    demo::ChallengeStyle style;
    style.lsatHeader = false;
    style.l402Header = false;
    style.paymentCharge = true;
    h.api().setChallengeStyle(style);
    auto first = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY2(first.ok(), qPrintable(first ? QString() : first.error().message));
    QCOMPARE(first->status, 200);
    QVERIFY(first->payment.has_value());
    // Single use: nothing cached, the next request pays again.
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM tokens"), 0);
    auto second = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY(second.ok());
    QVERIFY(second->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 2);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM payments WHERE scheme = 'Payment' AND "
                               "status = 'succeeded'"),
             2);
}

void PaymentEngineTest::failedPaymentReleasesTheReservation()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    h.lnd().setPayBehaviour(FakeLnd::PayBehaviour::Fail);
    auto failed = h.fetch(QStringLiteral("/v1/quote"));
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().code, QStringLiteral("payment_failed"));
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM reservations WHERE released_at IS NULL"), 0);
    const auto origin = policy::Origin::fromUrl(h.api().url(QString())).value();
    auto verdict = h.engine().budgets().evaluate(origin, {}, 1, 0);
    QVERIFY(verdict.ok());
    QCOMPARE(verdict->usage.dayMsat, 0);
    expectUsageMatchesLedger(h);
}

// The kill switch: no payment while paused, a token already bought still works, the pause
// outlives a restart, and a resume written by another object (the CLI) takes effect when the
// engine is told.
void PaymentEngineTest::pauseSurvivesARestartAndResumeEndsIt()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    QVERIFY(h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    QSignalSpy changed(&h.engine(), &payments::PaymentEngine::spendingSwitchChanged);
    auto paused = h.engine().spendingSwitch().pauseAll();
    QVERIFY(paused.ok() && paused.value());
    QCOMPARE(changed.size(), 1);
    QVERIFY(!h.engine().spendingSwitch().pauseAll().value()); // already paused: no change

    auto refused = h.fetch(QStringLiteral("/v1/joke"), QStringLiteral("alice"));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, QStringLiteral("wallet_paused"));
    QVERIFY(refused.error().message.contains(QStringLiteral("resume")));
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM events WHERE kind = 'refused' AND "
                               "code = 'wallet_paused'"),
             1);
    // The token bought before the pause still works: it pays nothing.
    auto cached = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY(cached.ok());
    QCOMPARE(cached->status, 200);
    QVERIFY(cached->usedToken);
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    h.stopWallet();
    QVERIFY(h.openStore());
    QVERIFY(h.startEngine());
    QVERIFY(h.engine().spendingSwitch().walletPaused());
    auto afterRestart = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY(!afterRestart.ok());
    QCOMPARE(afterRestart.error().code, QStringLiteral("wallet_paused"));
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    // `l402-wallet resume` through the running wallet writes with its own switch.
    policy::SpendingSwitch cli(h.store().database(), SystemClock::instance());
    QVERIFY(cli.resumeAll().value());
    QCOMPARE(h.fetch(QStringLiteral("/v1/joke")).error().code, QStringLiteral("wallet_paused"));
    QSignalSpy reloaded(&h.engine(), &payments::PaymentEngine::spendingSwitchChanged);
    h.engine().spendingSwitchChangedElsewhere();
    QCOMPARE(reloaded.size(), 1);
    auto paid = h.fetch(QStringLiteral("/v1/joke"));
    QVERIFY2(paid.ok(), qPrintable(paid ? QString() : paid.error().message));
    QVERIFY(paid->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 2);
}

void PaymentEngineTest::pausedAgentIsRefusedOthersPay()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    QVERIFY(h.engine().spendingSwitch().pauseAgent(QStringLiteral("mallory")).value());

    auto refused = h.fetch(QStringLiteral("/v1/joke"), QStringLiteral("mallory"));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, QStringLiteral("agent_paused"));
    QVERIFY(refused.error().message.contains(QStringLiteral("mallory")));
    QCOMPARE(h.lnd().totalSendCalls(), 0);

    auto other = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY(other.ok());
    QVERIFY(other->payment.has_value());
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    // The wallet's own fetch (no agent) is not an agent's.
    QVERIFY(h.fetch(QStringLiteral("/v1/weather")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 2);

    // Still paused after a restart; resumed, mallory pays.
    h.stopWallet();
    QVERIFY(h.openStore());
    QVERIFY(h.startEngine());
    QCOMPARE(h.fetch(QStringLiteral("/v1/joke"), QStringLiteral("mallory")).error().code,
             QStringLiteral("agent_paused"));
    QVERIFY(h.engine().spendingSwitch().resumeAgent(QStringLiteral("mallory")).value());
    QVERIFY(!h.engine().spendingSwitch().resumeAgent(QStringLiteral("mallory")).value());
    QVERIFY(h.fetch(QStringLiteral("/v1/joke"), QStringLiteral("mallory")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 3);
    QCOMPARE(scalar(h.store(), "SELECT count(*) FROM events WHERE code = 'agent_paused'"), 2);
}

// "Stops every payment at once": an approval answered after the pause pays nothing.
void PaymentEngineTest::pauseWhileAskingStopsTheApprovedPayment()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.broker().setAnswerable(true);
    h.broker().setTimeout(std::chrono::milliseconds(10'000));
    QObject::connect(&h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
                     [&h](const policy::ApprovalRequest& request) {
                         QVERIFY(h.engine().spendingSwitch().pauseAll().value());
                         QVERIFY(h.broker().answer(request.id, true, policy::Remember::Once));
                     });
    auto result = h.fetch(QStringLiteral("/v1/quote")); // no rule: the default asks
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, QStringLiteral("wallet_paused"));
    QCOMPARE(h.lnd().totalSendCalls(), 0);
    QCOMPARE(h.paymentCount(), 0);
}

// A server that takes the payment and answers 402 to the token it just sold: one payment, then
// the origin is paused (origin_paused, in history), across a restart, until resumed.
void PaymentEngineTest::drainGuardPausesAServerThatRefusesWhatItSold()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    demo::PaidEndpoint drain;
    drain.path = QStringLiteral("/v1/drain");
    drain.service = QStringLiteral("drain");
    drain.priceSat = 7;
    drain.body = "never served";
    drain.neverServes = true;
    h.api().addEndpoint(drain);
    for (int i = 0; i < 3; ++i) {
        auto result = h.fetch(QStringLiteral("/v1/drain"), QStringLiteral("alice"));
        QVERIFY2(!result.ok(), "a drained request must not look like success");
        QCOMPARE(result.error().code, QStringLiteral("origin_paused"));
        QVERIFY(result.error().message.contains(QStringLiteral("resume --origin")));
    }
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    const QString origin = h.api().url(QString()).adjusted(QUrl::RemovePath).toString();
    QVERIFY(h.engine().drainGuard().pausedUntil(origin).has_value());
    QVERIFY(scalar(h.store(), "SELECT count(*) FROM events WHERE code = 'origin_paused'") >= 1);
    // The whole origin is paused, its other endpoints too.
    QCOMPARE(h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice")).error().code,
             QStringLiteral("origin_paused"));
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    // The pause survives a restart.
    h.stopWallet();
    QVERIFY(h.openStore());
    QVERIFY(h.startEngine());
    QCOMPARE(h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice")).error().code,
             QStringLiteral("origin_paused"));
    // Resumed by the owner: it pays again (and the drain trips the guard again).
    QVERIFY(h.engine().drainGuard().resume(origin).value());
    auto quote = h.fetch(QStringLiteral("/v1/quote"), QStringLiteral("alice"));
    QVERIFY(quote.ok());
    QCOMPARE(quote->status, 200);
    QCOMPARE(h.lnd().totalSendCalls(), 2);
}

// The price-spike guard: a price more than 10x what the origin's service was last paid is
// refused (price_spike) with nobody to ask, and asked, with both prices, when someone can
// answer, even though the rule pays without asking. 9x is no spike.
void PaymentEngineTest::priceSpikeIsAskedOrRefused()
{
    ManualClock clock(QDateTime::currentDateTimeUtc());
    EngineHarness h(clock);
    QVERIFY(h.start());
    h.allowEverything(); // '*' auto: nothing would be asked without the guard
    demo::PaidEndpoint cheap;
    cheap.path = QStringLiteral("/v1/cheap");
    cheap.service = QStringLiteral("cheap");
    cheap.priceSat = 2;
    cheap.body = "{}";
    cheap.validForSeconds = 60; // then a new token is bought, at the price of the day
    h.api().addEndpoint(cheap);
    QVERIFY(h.fetch(QStringLiteral("/v1/cheap"), QStringLiteral("alice")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    auto reprice = [&](int64_t sat) {
        cheap.priceSat = sat;
        h.api().addEndpoint(cheap); // the same path, a new price
        clock.advance(120);         // past the token's valid_until: a new one is bought
    };

    reprice(18); // 9x: no spike
    QVERIFY(h.fetch(QStringLiteral("/v1/cheap"), QStringLiteral("alice")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 2);

    reprice(181); // more than 10x the 18 sat paid last
    auto refused = h.fetch(QStringLiteral("/v1/cheap"), QStringLiteral("alice"));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, QStringLiteral("price_spike"));
    QVERIFY2(refused.error().message.contains(QStringLiteral("181 sat")) &&
                 refused.error().message.contains(QStringLiteral("18 sat")),
             qPrintable(refused.error().message));
    QCOMPARE(h.lnd().totalSendCalls(), 2);

    h.broker().setAnswerable(true);
    policy::ApprovalRequest seen;
    QObject::connect(&h.broker(), &policy::ApprovalBroker::requested, &h.broker(),
                     [&](const policy::ApprovalRequest& request) {
                         seen = request;
                         QVERIFY(h.broker().answer(request.id, true));
                     });
    auto asked = h.fetch(QStringLiteral("/v1/cheap"), QStringLiteral("alice"));
    QVERIFY(asked.ok());
    QCOMPARE(seen.amountMsat, 181'000);
    QCOMPARE(seen.notes.size(), 1);
    QVERIFY2(seen.notes.first().startsWith(QStringLiteral("Price spike: ")) &&
                 seen.notes.first().contains(QStringLiteral("18 sat last time")),
             qPrintable(seen.notes.join(u'|')));
    QVERIFY(!seen.heldTo.isEmpty()); // and the rules, as always
    QCOMPARE(h.lnd().totalSendCalls(), 3);
}

// The anomaly alert: an agent that spends more than max(10x its average per 10 minutes over
// the past week, 1,000 sat) within 10 minutes is paused and the alert is raised; an agent
// whose week holds that much already goes on.
void PaymentEngineTest::anomalyAlertPausesAnAgentThatSpendsFarAboveItsPattern()
{
    ManualClock clock(QDateTime::currentDateTimeUtc());
    EngineHarness h(clock);
    QVERIFY(h.start());
    h.allowEverything();
    // steady's week: 200,000 sat three days ago, about 198 sat per 10 minutes.
    clock.advance(-3 * 24 * 3600);
    {
        const QByteArray preimage = crypto::randomBytes(32);
        store::NewPayment past;
        past.origin = QStringLiteral("https://elsewhere.example");
        past.agent = QStringLiteral("steady");
        past.scheme = QStringLiteral("L402");
        past.invoice = QStringLiteral("lnbcrt1");
        past.paymentHash = crypto::sha256(preimage);
        past.amountMsat = 200'000'000;
        past.feeLimitMsat = 10'000;
        auto id = h.store().ledger().recordInitiated(past);
        QVERIFY(id.ok());
        QVERIFY(h.store().ledger().markSucceeded(id.value(), preimage, 0).ok());
    }
    clock.advance(3 * 24 * 3600);
    QSignalSpy alerts(&h.engine(), &payments::PaymentEngine::anomalyDetected);
    const QStringList burst{QStringLiteral("/v1/joke"), QStringLiteral("/v1/quote"),
                            QStringLiteral("/v1/weather"), QStringLiteral("/v1/dataset.csv")};
    for (const char* agent : {"steady", "burst"}) {
        for (const QString& path : burst) { // 5 + 21 + 100 + 1,000 sat within a minute
            auto paid = h.fetch(path, QString::fromLatin1(agent));
            QVERIFY2(paid.ok(), qPrintable(paid ? QString() : paid.error().message));
            clock.advance(10);
        }
    }
    QCOMPARE(alerts.size(), 1); // burst, after the dataset; steady spends like this already
    QCOMPARE(alerts.first().at(0).toString(), QStringLiteral("burst"));
    const QString message = alerts.first().at(1).toString();
    QVERIFY2(message.contains(QStringLiteral("1,126 sat")) &&
                 message.contains(QStringLiteral("agent resume burst")),
             qPrintable(message));
    QVERIFY(h.engine().spendingSwitch().refusalFor(QStringLiteral("burst")).has_value());
    QVERIFY(!h.engine().spendingSwitch().refusalFor(QStringLiteral("steady")).has_value());
    QVERIFY(scalar(h.store(), "SELECT count(*) FROM events WHERE agent = 'burst' AND "
                              "code = 'agent_paused'") >= 1);
}

// Several agents at once against one shared cap and their own caps: the atomic reserve lets
// exactly as many payments through as fit, and no matching rule is ever exceeded.
void PaymentEngineTest::concurrentAgentsNeverExceedACapTheyShare()
{
    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    // The joke costs 5 sat plus a 10 sat fee reserve: 15 sat held per payment.
    policy::BudgetRule site;
    site.pattern = h.api().url(QStringLiteral("/")).host();
    site.mode = policy::Mode::Auto;
    site.dailyMsat = 60'000; // room for four
    QVERIFY(h.engine().budgets().saveRule(site).ok());
    policy::BudgetRule tight;
    tight.pattern = QStringLiteral("*");
    tight.agent = QStringLiteral("agent-0");
    tight.mode = policy::Mode::Auto;
    tight.dailyMsat = 1'000; // agent-0 may not pay at all
    QVERIFY(h.engine().budgets().saveRule(tight).ok());
    int answered = 0;
    QStringList paidBy;
    QStringList refusals;
    for (int i = 0; i < 70; ++i) {
        payments::FetchRequest request;
        request.url = h.api().url(QStringLiteral("/v1/joke"));
        request.agent = QStringLiteral("agent-%1").arg(i % 7);
        h.fetcher().fetch(request, [&, agent = request.agent](Result<FetchResponse> result) {
            ++answered;
            if (result && result->payment) {
                paidBy << agent;
            } else if (!result) {
                refusals << result.error().code;
            }
        });
    }
    QVERIFY(QTest::qWaitFor([&] { return answered == 70; }, 60'000));
    // Four fit while each holds its fee reserve; as payments settle (a real fee of 1.234 sat)
    // room frees up, so one or two more may fit, never past the cap.
    QVERIFY2(paidBy.size() >= 4 && paidBy.size() <= 6, qPrintable(paidBy.join(u',')));
    QVERIFY(!paidBy.contains(QStringLiteral("agent-0")));
    QCOMPARE(h.lnd().totalSendCalls(), int(paidBy.size()));
    QVERIFY(scalar(h.store(), "SELECT sum(amount_msat + fee_msat) FROM payments WHERE "
                              "status = 'succeeded'") <= 60'000);
    QVERIFY(refusals.contains(QStringLiteral("budget_exceeded")));
    QVERIFY(std::all_of(refusals.cbegin(), refusals.cend(), [](const QString& code) {
        return code == QLatin1String("budget_exceeded");
    }));
    expectUsageMatchesLedger(h);
}

QTEST_GUILESS_MAIN(PaymentEngineTest)
#include "PaymentEngineTest.moc"
