// `l402-wallet --demo serve`: the built-in paid API, the demo node, the proxy and the one line
// a new user is shown (the window shows the same line). Running that line with curl buys a
// quote with simulated funds; running it again reuses the token.

#include "tests/support/ProcessRunner.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace l402::test;

class DemoTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theLineShownToNewUsersWorks();
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

QTEST_GUILESS_MAIN(DemoTest)
#include "DemoTest.moc"
