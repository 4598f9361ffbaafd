// `l402-wallet --demo serve`: the built-in paid API, the demo node, the proxy and the one line
// a new user is shown (the window shows the same line). Running that line with curl buys a
// quote with simulated funds; running it again reuses the token.

#include "tests/support/ProcessRunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace l402::test;

class DemoTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theLineShownToNewUsersWorks();
    void approvalsAreAnsweredFromTheCli();

private:
    QStringList m_answered;
};

void DemoTest::theLineShownToNewUsersWorks()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess serve;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("demo test"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    serve.setProcessEnvironment(environment);
    serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                {QStringLiteral("--data-dir"), dir.path() + QStringLiteral("/w"),
                 QStringLiteral("--demo"), QStringLiteral("serve"), QStringLiteral("--listen"),
                 QStringLiteral("127.0.0.1:0")});
    QVERIFY(serve.waitForStarted());
    QByteArray log;
    QRegularExpressionMatch line;
    const QRegularExpression pattern(
        QStringLiteral("curl -H '(L402-Wallet-Agent: demo:[A-Za-z0-9_-]+)' (http://\\S+)"));
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     log += serve.readAllStandardError();
                     line = pattern.match(QString::fromUtf8(log));
                     return line.hasMatch();
                 },
                 30'000),
             log.constData());
    QVERIFY(log.contains("simulated funds"));

    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"}) {
        clean.remove(QString::fromLatin1(name));
    }
    const QStringList arguments{QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
                                line.captured(1), line.captured(2)};
    auto first = runProgramServingEvents(QStringLiteral("curl"), arguments, clean);
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QVERIFY2(first.out.startsWith("HTTP/1.1 200"), first.out.constData());
    QVERIFY(first.out.contains("L402-Wallet-Payment: amount_msat=21000"));
    QVERIFY(first.out.contains("Alan Kay"));
    auto second = runProgramServingEvents(QStringLiteral("curl"), arguments, clean);
    QVERIFY(second.out.startsWith("HTTP/1.1 200"));
    QVERIFY(!second.out.contains("L402-Wallet-Payment"));

    serve.terminate(); // SIGTERM: a clean stop
    QVERIFY(serve.waitForFinished(15'000));
    QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
    QCOMPARE(serve.exitCode(), 0);
}

void DemoTest::approvalsAreAnsweredFromTheCli()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dataDir = dir.path() + QStringLiteral("/w");
    QProcessEnvironment environment;
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("demo test"));
    auto wallet = [&](QStringList arguments) {
        arguments = QStringList{QStringLiteral("--data-dir"), dataDir, QStringLiteral("--demo")} +
                    arguments;
        return runWalletServingEvents(arguments, environment);
    };
    // Payments to the demo API need a yes.
    QCOMPARE(wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("127.0.0.1"),
                     QStringLiteral("--mode"), QStringLiteral("ask")})
                 .exitCode,
             0);
    QProcess serve;
    QProcessEnvironment full = QProcessEnvironment::systemEnvironment();
    full.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("demo test"));
    serve.setProcessEnvironment(full);
    serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                // A scripted demo on a machine with no agents: the CLI's approve needs no
                // proof (TrustBoundaryTest covers the default).
                {QStringLiteral("--data-dir"), dataDir, QStringLiteral("--demo"),
                 QStringLiteral("serve"), QStringLiteral("--trust-same-user"),
                 QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QByteArray log;
    QRegularExpressionMatch line;
    const QRegularExpression pattern(
        QStringLiteral("curl -H '(L402-Wallet-Agent: demo:[A-Za-z0-9_-]+)' (http://\\S+)"));
    QVERIFY(QTest::qWaitFor(
        [&] {
            log += serve.readAllStandardError();
            line = pattern.match(QString::fromUtf8(log));
            return line.hasMatch();
        },
        30'000));

    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    clean.remove(QStringLiteral("http_proxy"));
    clean.remove(QStringLiteral("HTTP_PROXY"));
    auto ask = [&](const QString& url, QProcess& curl) {
        curl.setProcessEnvironment(clean);
        curl.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-i"),
                                            QStringLiteral("-H"), line.captured(1), url});
        QRegularExpressionMatch needed;
        const QRegularExpression approval(QStringLiteral("approval needed: ([0-9a-f]{8})"));
        (void)QTest::qWaitFor(
            [&] {
                log += serve.readAllStandardError();
                QRegularExpressionMatchIterator all = approval.globalMatch(QString::fromUtf8(log));
                while (all.hasNext()) {
                    needed = all.next();
                }
                return needed.hasMatch() && !m_answered.contains(needed.captured(1));
            },
            20'000);
        const QString id = needed.captured(1);
        m_answered.append(id);
        return id;
    };

    QProcess first;
    const QString id = ask(line.captured(2), first);
    QVERIFY2(!id.isEmpty(), log.constData());
    auto pending = wallet({QStringLiteral("--json"), QStringLiteral("approvals")});
    QCOMPARE(pending.exitCode, 0);
    const QJsonArray waiting = QJsonDocument::fromJson(pending.out).array();
    QCOMPARE(waiting.size(), 1);
    QCOMPARE(waiting.first()[QLatin1String("id")].toString(), id);
    QCOMPARE(waiting.first()[QLatin1String("amount_msat")].toInteger(), 21'000);
    QCOMPARE(waiting.first()[QLatin1String("agent")].toString(), QStringLiteral("demo"));
    QCOMPARE(wallet({QStringLiteral("approve"), id}).exitCode, 0);
    QVERIFY(QTest::qWaitFor([&] { return first.state() == QProcess::NotRunning; }, 20'000));
    const QByteArray approved = first.readAllStandardOutput();
    QVERIFY2(approved.startsWith("HTTP/1.1 200"), approved.constData());
    QVERIFY(approved.contains("L402-Wallet-Payment"));

    QProcess second;
    const QString secondId = ask(
        QString(line.captured(2)).replace(QStringLiteral("/v1/quote"), QStringLiteral("/v1/joke")),
        second);
    QVERIFY(!secondId.isEmpty());
    QCOMPARE(wallet({QStringLiteral("deny"), secondId}).exitCode, 0);
    QVERIFY(QTest::qWaitFor([&] { return second.state() == QProcess::NotRunning; }, 20'000));
    const QByteArray denied = second.readAllStandardOutput();
    QVERIFY2(denied.startsWith("HTTP/1.1 402"), denied.constData());
    QVERIFY(denied.contains("L402-Wallet-Error: denied_by_user"));

    auto unknown = wallet({QStringLiteral("approve"), QStringLiteral("00000000")});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY(unknown.err.contains("No payment is waiting"));

    serve.terminate();
    QVERIFY(serve.waitForFinished(15'000));
    auto none = wallet({QStringLiteral("approvals")});
    QCOMPARE(none.exitCode, 1);
    QVERIFY2(none.err.contains("No wallet is running"), none.err.constData());
}

QTEST_GUILESS_MAIN(DemoTest)
#include "DemoTest.moc"
