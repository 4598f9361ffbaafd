// The crash matrix (DESIGN §3.3): `l402-wallet fetch` is killed with SIGKILL at each step of a
// payment, then run again. The node (LND's double) and the paid API live in this process and
// outlive the wallet, as they would in the real world. After the restart: no payment hash was
// paid twice, what the first run bought is recovered through the node's lookup, and the budget
// counts exactly what was spent.

#include "core/payments/CrashPoint.h"
#include "tests/support/CliWorld.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <csignal>
#include <sys/types.h>

using namespace l402;
using namespace l402::test;

class CrashMatrixTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killAtEachStepThenRestart_data();
    void killAtEachStepThenRestart();
};

void CrashMatrixTest::killAtEachStepThenRestart_data()
{
    QTest::addColumn<QString>("point");
    QTest::addColumn<bool>("nodePaidBeforeTheCrash");
    QTest::newRow("after reservation")
        << QString::fromLatin1(payments::kCrashAfterReservation) << false;
    QTest::newRow("after initiated")
        << QString::fromLatin1(payments::kCrashAfterInitiated) << false;
    QTest::newRow("during the node call")
        << QString::fromLatin1(payments::kCrashDuringNodeCall) << true;
    QTest::newRow("after the node succeeded, before the token is stored")
        << QString::fromLatin1(payments::kCrashAfterNodeSuccess) << true;
}

void CrashMatrixTest::killAtEachStepThenRestart()
{
    QFETCH(QString, point);
    QFETCH(bool, nodePaidBeforeTheCrash);

    // The world outside the wallet (the node and the paid API) outlives every wallet process.
    CliWorld world;
    // Children crash on purpose: no sanitizer report for the SIGKILL, and no leak check of a
    // process that never returned.
    world.setEnvironment(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("detect_leaks=0"));
    QVERIFY(world.start());
    FakeLnd& lnd = world.lnd();
    demo::PaidApiServer& api = world.api();
    auto wallet = [&](const QStringList& arguments, const QProcessEnvironment& extra = {},
                      const std::function<void(qint64)>& started = {}) {
        return world.wallet(arguments, extra, started);
    };
    auto budget = wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
                          QStringLiteral("--mode"), QStringLiteral("auto"),
                          QStringLiteral("--daily"), QStringLiteral("1000")});
    QVERIFY2(budget.exitCode == 0, budget.err.constData());

    const QString url = api.url(QStringLiteral("/v1/quote")).toString();
    QProcessEnvironment crash;
    qint64 childPid = 0;
    if (point == QLatin1String(payments::kCrashDuringNodeCall)) {
        // Killed by the outside world the moment the node has the payment in hand.
        QObject::connect(&lnd.server(), &http::HttpServer::requestReceived, &lnd,
                         [&](const http::HttpRequest& request) {
                             if (request.path == QLatin1String("/v2/router/send") && childPid) {
                                 ::kill(static_cast<pid_t>(childPid), SIGKILL);
                             }
                         });
    } else {
        crash.insert(QStringLiteral("L402_WALLET_CRASH_POINT"), point);
    }
    auto crashed = wallet({QStringLiteral("fetch"), QStringLiteral("-q"), url}, crash,
                          [&](qint64 pid) { childPid = pid; });
    QVERIFY(crashed.finished);
    QCOMPARE(crashed.exitCode, -1); // killed, not exited
    QCOMPARE(lnd.totalSendCalls(), nodePaidBeforeTheCrash ? 1 : 0);
    childPid = 0;
    if (nodePaidBeforeTheCrash) {
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto payments = lnd.payments();
                return !payments.isEmpty() &&
                       payments.begin().value().status == QLatin1String("SUCCEEDED");
            },
            10'000));
    }

    // The restart: reconciliation first, then the same request.
    auto again = wallet({QStringLiteral("fetch"), QStringLiteral("-q"), url});
    QVERIFY2(again.exitCode == 0, again.err.constData());
    QVERIFY(again.out.contains("Alan Kay"));

    // Never a hash paid twice, and exactly one payment made in all.
    QCOMPARE(lnd.totalSendCalls(), 1);
    for (const auto& [hash, calls] : lnd.payments().asKeyValueRange()) {
        Q_UNUSED(calls);
        QCOMPARE(lnd.sendCalls(hash), 1);
    }
    if (nodePaidBeforeTheCrash) {
        // The token bought before the crash was recovered: no second challenge was needed.
        QCOMPARE(api.challengesIssued(), 1);
    }
    auto history = wallet({QStringLiteral("--json"), QStringLiteral("history")});
    QCOMPARE(history.exitCode, 0);
    const QJsonArray rows = QJsonDocument::fromJson(history.out).array();
    int succeeded = 0;
    for (const QJsonValue& row : rows) {
        const QString status = row[QLatin1String("status")].toString();
        QVERIFY2(status == QLatin1String("succeeded") || status == QLatin1String("failed"),
                 qPrintable(status)); // nothing left unresolved
        succeeded += status == QLatin1String("succeeded") ? 1 : 0;
    }
    QCOMPARE(succeeded, 1);
    auto tokens = wallet({QStringLiteral("--json"), QStringLiteral("tokens")});
    QCOMPARE(QJsonDocument::fromJson(tokens.out).array().size(), 1);

    // The budget counts exactly the one payment and its real fee; no reservation is left.
    auto budgets =
        wallet({QStringLiteral("--json"), QStringLiteral("budget"), QStringLiteral("list")});
    QCOMPARE(budgets.exitCode, 0);
    const QJsonObject rule = QJsonDocument::fromJson(budgets.out).array().first().toObject();
    QCOMPARE(rule[QLatin1String("used_today_msat")].toInteger(), 21'000 + 1'234);
}

QTEST_GUILESS_MAIN(CrashMatrixTest)
#include "CrashMatrixTest.moc"
