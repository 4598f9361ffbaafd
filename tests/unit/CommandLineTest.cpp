#include "app/CommandLine.h"

#include <QTest>

using namespace l402::app;

class CommandLineTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultsToGui()
    {
        auto parsed = parseGlobalOptions({QStringLiteral("l402-wallet")});
        QCOMPARE(std::get<GlobalOptions>(parsed).command, QStringLiteral("gui"));
    }
    void globalOptionsAnywhere()
    {
        auto parsed = parseGlobalOptions({QStringLiteral("l402-wallet"), QStringLiteral("decode"),
                                          QStringLiteral("--json"), QStringLiteral("lnbc1x"),
                                          QStringLiteral("--data-dir=/tmp/w")});
        const auto& options = std::get<GlobalOptions>(parsed);
        QCOMPARE(options.command, QStringLiteral("decode"));
        QVERIFY(options.json);
        QCOMPARE(options.dataDir, QStringLiteral("/tmp/w"));
        QCOMPARE(options.arguments, QStringList{QStringLiteral("lnbc1x")});
    }
    void missingValueIsAnError()
    {
        auto parsed =
            parseGlobalOptions({QStringLiteral("l402-wallet"), QStringLiteral("--data-dir")});
        QVERIFY(std::holds_alternative<ParseError>(parsed));
    }
    void dataDirResolution()
    {
        GlobalOptions options;
        options.dataDir = QStringLiteral("/tmp/a/../b");
        QCOMPARE(resolveDataDir(options), QStringLiteral("/tmp/b"));
        options.demo = true;
        QCOMPARE(resolveDataDir(options), QStringLiteral("/tmp/b/demo"));
        options.dataDir.clear();
        options.demo = false;
        qputenv("L402_WALLET_HOME", "/tmp/from-env");
        QCOMPARE(resolveDataDir(options), QStringLiteral("/tmp/from-env"));
        qunsetenv("L402_WALLET_HOME");
    }
};

QTEST_GUILESS_MAIN(CommandLineTest)
#include "CommandLineTest.moc"
