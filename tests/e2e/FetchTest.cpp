// `l402-wallet fetch` as a script uses it: every exit code from a real case (lnget's: 0 ok,
// 1 error, 2 over max cost, 3 payment failed, 4 network) against the Aperture-like API and
// LND's double, both served from this process.

#include "tests/support/CliWorld.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTest>

using namespace l402;
using namespace l402::test;

class FetchTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyExitCodeFromARealCase();
};

void FetchTest::everyExitCodeFromARealCase()
{
    CliWorld world;
    QVERIFY(world.start());
    FakeLnd& lnd = world.lnd();
    demo::PaidApiServer& api = world.api();
    auto wallet = [&](const QStringList& arguments) {
        return world.wallet(arguments);
    };
    QCOMPARE(wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
                     QStringLiteral("--mode"), QStringLiteral("auto")})
                 .exitCode,
             0);
    const QString quote = api.url(QStringLiteral("/v1/quote")).toString();

    // 2: over --max-cost (the quote costs 21 sat); nothing paid.
    auto over = wallet(
        {QStringLiteral("fetch"), QStringLiteral("--max-cost"), QStringLiteral("20"), quote});
    QCOMPARE(over.exitCode, 2);
    QVERIFY(over.err.contains("more than the maximum cost"));
    QCOMPARE(lnd.totalSendCalls(), 0);

    // --no-pay: the price, exit 0, nothing paid.
    auto price = wallet({QStringLiteral("fetch"), QStringLiteral("--no-pay"), quote});
    QCOMPARE(price.exitCode, 0);
    QVERIFY2(price.out.contains("asks for 21 sat"), price.out.constData());
    QCOMPARE(lnd.totalSendCalls(), 0);

    // 3: the node fails the payment.
    lnd.setPayBehaviour(FakeLnd::PayBehaviour::Fail);
    auto failed = wallet({QStringLiteral("fetch"), quote});
    QCOMPARE(failed.exitCode, 3);
    QVERIFY(failed.err.contains("failed"));
    lnd.setPayBehaviour(FakeLnd::PayBehaviour::Succeed);

    // 0: paid, with the lnget-style JSON summary.
    auto paid = wallet({QStringLiteral("--json"), QStringLiteral("fetch"), quote});
    QCOMPARE(paid.exitCode, 0);
    const QJsonObject summary = QJsonDocument::fromJson(paid.out).object();
    QCOMPARE(summary[QLatin1String("status")].toInt(), 200);
    QCOMPARE(summary[QLatin1String("url")].toString(), quote);
    QVERIFY(summary[QLatin1String("size")].toInt() > 0);
    const QJsonObject payment = summary[QLatin1String("payment")].toObject();
    QCOMPARE(payment[QLatin1String("amount_sat")].toDouble(), 21.0);
    QCOMPARE(payment[QLatin1String("fee_sat")].toDouble(), 1.234);
    QCOMPARE(payment[QLatin1String("payment_hash")].toString().size(), 64);
    // -o writes the body; the token is reused (no new payment).
    const QString out = world.path(QStringLiteral("quote.json"));
    QCOMPARE(
        wallet({QStringLiteral("fetch"), QStringLiteral("-q"), QStringLiteral("-o"), out, quote})
            .exitCode,
        0);
    QFile body(out);
    QVERIFY(body.open(QIODevice::ReadOnly));
    QVERIFY(body.readAll().contains("Alan Kay"));
    QCOMPARE(lnd.totalSendCalls(), 2); // the failed attempt and the paid one

    // 1: the server answers an error status.
    auto missing =
        wallet({QStringLiteral("fetch"), api.url(QStringLiteral("/nowhere")).toString()});
    QCOMPARE(missing.exitCode, 1);

    // 4: nothing listens there.
    quint16 closedPort = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closedPort = probe.serverPort();
    }
    auto network =
        wallet({QStringLiteral("fetch"), QStringLiteral("http://127.0.0.1:%1/x").arg(closedPort)});
    QCOMPARE(network.exitCode, 4);
    QVERIFY(network.err.contains("could not be reached"));

    // Usage errors are 64, as for every command.
    QCOMPARE(wallet({QStringLiteral("fetch")}).exitCode, 64);
}

QTEST_GUILESS_MAIN(FetchTest)
#include "FetchTest.moc"
